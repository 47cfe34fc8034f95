"""The chart's documents: the list with the upload form, the file itself, marking one in error.

Each view declares its permission, fetches the patient with ``patient_for`` (which writes the
access log) and calls an action. The file is served only here, never from a public folder.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from ketapath.accounts.policy import allowed, requires
from ketapath.audit.actions import log_access
from ketapath.audit.models import AccessAction
from ketapath.audit.refusals import ActionRefused
from ketapath.documents import storage
from ketapath.documents.actions import attach_document, mark_document_in_error
from ketapath.documents.content_types import EXTENSIONS
from ketapath.documents.forms import DocumentForm, EnteredInErrorForm
from ketapath.documents.models import ChartDocument
from ketapath.patients.access import patient_for
from ketapath.patients.models import Patient

logger = logging.getLogger(__name__)

#: The headers of a served file. ``sandbox`` makes the browser treat the response as a page of no
#: origin that may run nothing, so even a file that passed the content check as a PDF or an image
#: can never act as a page of this site; ``nosniff`` keeps the browser to the stored type.
FILE_POLICY = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"


def _page(
    request: HttpRequest, patient: Patient, form: DocumentForm | None, status: int = 200
) -> HttpResponse:
    documents = list(
        ChartDocument.objects.filter(patient=patient)
        .select_related("uploaded_by", "entered_in_error_by")
        .order_by("-document_date", "-uploaded_at", "-id")
    )
    context = {
        "patient": patient,
        "documents": documents,
        "in_error": sum(1 for d in documents if d.is_entered_in_error),
        "form": form,
        "in_error_form": EnteredInErrorForm() if allowed(request.user, "documents.mark_in_error") else None,
    }
    return render(request, "documents/list.html", context, status=status)


@require_GET
@requires("documents.view")
def document_list(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="documents.view")
    upload = allowed(request.user, "documents.upload") and not patient.is_entered_in_error
    return _page(request, patient, DocumentForm(patient=patient) if upload else None)


@require_POST
@requires("documents.upload")
def document_upload(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="documents.upload", action=AccessAction.EDIT)
    form = DocumentForm(request.POST, request.FILES, patient=patient)
    if form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            attached = attach_document(
                patient,
                request.user,
                client_key=data["client_key"],
                kind=data["kind"],
                title=data["title"],
                document_date=data["document_date"],
                content_type=form.content_type,
                chunks=upload.chunks(),
                original_name=upload.name or "",
            )
        except ActionRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            if attached.duplicate:
                messages.info(request, "This document was already attached (the form was sent twice).")
            else:
                messages.success(request, f"Attached “{attached.document.title}”.")
            return redirect("documents:list", mrn=patient.mrn)
    return _page(request, patient, form)


@require_GET
@requires("documents.view")
def document_file(request: HttpRequest, mrn: str, document_id: int) -> FileResponse:
    """The file, inline, after the chart's access check; one access-log row for each opening."""
    patient = patient_for(request, mrn, permission="documents.view", action=None)
    document = get_object_or_404(ChartDocument, pk=document_id, patient=patient)
    try:
        handle = storage.open_stored(document.stored_name)
    except storage.StoredFileMissing:
        logger.error(
            "Document %s of patient %s: its file is missing from the documents folder.",
            document.pk,
            patient.pk,
        )
        raise Http404(
            "The file of this document is missing: restore the documents folder from the backup."
        ) from None
    log_access(request, patient, AccessAction.VIEW_DOCUMENT)
    response = FileResponse(
        handle, content_type=document.content_type, as_attachment=False, filename=download_name(document)
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = FILE_POLICY
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def download_name(document: ChartDocument) -> str:
    """The name the browser shows and saves under: the title in plain letters, digits and a few
    separators (never the uploaded name's path or quotes), with the extension of the stored type."""
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in " -_.()") else "_" for ch in document.title)
    safe = "_".join(safe.split()).strip("._") or "document"
    return f"{safe[:80]}.{EXTENSIONS.get(document.content_type, 'bin')}"


@require_POST
@requires("documents.mark_in_error")
def document_mark_in_error(request: HttpRequest, mrn: str, document_id: int) -> HttpResponse:
    patient = patient_for(request, mrn, permission="documents.mark_in_error", action=AccessAction.EDIT)
    document = get_object_or_404(ChartDocument, pk=document_id, patient=patient)
    form = EnteredInErrorForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Give a reason (at most 1,000 characters) to mark the document entered in error."
        )
    elif document.is_entered_in_error:
        messages.info(request, "This document is already marked entered in error.")
    else:
        try:
            mark_document_in_error(document, request.user, form.cleaned_data["reason"])
        except ActionRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, "Marked entered in error. The document and its file are kept, with its history."
            )
    return redirect("documents:list", mrn=patient.mrn)
