"""Issue 16: documents attached to a chart.

Upload checks the file's content (not its name or the browser's type), its size and emptiness;
a refused upload leaves no row and no file. A file is served only through the chart's access
helper, with one access-log row and headers that keep the browser from running it. Nothing is
deleted: a wrong document is marked entered in error and its row and file stay.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ketapath.audit.models import AccessAction, AccessLog
from ketapath.audit.records import HardDeleteRefused
from ketapath.documents import urls as document_urls
from ketapath.documents.actions import DocumentRefused, attach_document, mark_document_in_error
from ketapath.documents.content_types import sniff
from ketapath.documents.models import ChartDocument
from ketapath.web.navigation import chart_sections_for
from tests.documents.conftest import jpeg_bytes, pdf_bytes, png_bytes


def upload_url(patient) -> str:
    return reverse("documents:upload", kwargs={"mrn": patient.mrn})


def list_url(patient) -> str:
    return reverse("documents:list", kwargs={"mrn": patient.mrn})


def file_url(document) -> str:
    return reverse("documents:file", kwargs={"mrn": document.patient.mrn, "document_id": document.pk})


def post_upload(
    client, patient, content: bytes, *, name="scan.pdf", browser_type="application/pdf", **fields
):
    data = {
        "client_key": str(fields.pop("client_key", uuid.uuid4())),
        "kind": "ecg",
        "title": "Baseline ECG",
        "document_date": timezone.localdate().isoformat(),
        "file": SimpleUploadedFile(name, content, content_type=browser_type),
        **fields,
    }
    return client.post(upload_url(patient), data)


def files_in(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def attach(patient, user, content: bytes = b"", **overrides) -> ChartDocument:
    values = {
        "client_key": uuid.uuid4(),
        "kind": "lab-report",
        "title": "Liver panel",
        "document_date": timezone.localdate(),
        "content_type": "application/pdf",
        "chunks": [content or pdf_bytes()],
        "original_name": "labs.pdf",
        **overrides,
    }
    return attach_document(patient, user, **values).document


# --- upload ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (pdf_bytes(), "ecg.pdf", "application/pdf"),
        (png_bytes(), "ecg.png", "image/png"),
        (jpeg_bytes(), "ecg photo.jpeg", "image/jpeg"),
    ],
)
def test_a_pdf_png_or_jpeg_is_attached(content, name, expected, personas, client, login, documents_dir):
    login(personas.nurse)
    patient = personas.patient_one
    # The browser's claimed type is ignored: the content decides.
    response = post_upload(client, patient, content, name=name, browser_type="application/octet-stream")
    assert response.status_code == 302
    assert response["Location"] == list_url(patient)
    document = ChartDocument.objects.get(patient=patient)
    assert document.content_type == expected
    assert document.size_bytes == len(content)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.uploaded_by == personas.nurse
    assert document.original_name == name
    # Stored under a random name, never the uploaded one, with the content's extension.
    assert document.stored_name != name and name.rsplit(".", 1)[0] not in document.stored_name
    assert files_in(documents_dir) == [document.stored_name]
    assert (documents_dir / document.stored_name).read_bytes() == content
    assert document.history.count() == 1
    assert document.history.first().history_change_reason == "Attached: ECG"


def test_the_upload_folder_is_the_setting_and_not_the_static_root(settings, documents_dir):
    assert documents_dir == settings.KETAPATH_DOCUMENTS_DIR
    # No URL serves files from a folder (no MEDIA_URL route, no static.serve).
    from django.views.static import serve

    from tests.web.test_access_by_role import all_url_names

    assert all(view is not serve for view, _ in all_url_names().values())
    from ketapath import settings as real

    assert not real.KETAPATH_DOCUMENTS_DIR.is_relative_to(real.STATIC_ROOT)
    assert real.KETAPATH_DOCUMENT_MAX_BYTES == 20 * 1024 * 1024


@pytest.mark.parametrize(
    ("content", "name", "browser_type"),
    [
        (b"<html><script>alert(1)</script></html>", "report.pdf", "application/pdf"),
        (b"Just some text pretending to be a PDF.\n", "letter.pdf", "application/pdf"),
        (b"GIF89a\x01\x00\x01\x00", "ecg.png", "image/png"),
        (b"%PDF-1.4\n1 0 obj\n", "truncated.pdf", "application/pdf"),  # no %%EOF: cut short
    ],
)
def test_a_file_whose_content_is_not_allowed_is_refused_whatever_its_name(
    content, name, browser_type, personas, client, login, documents_dir
):
    login(personas.nurse)
    response = post_upload(client, personas.patient_one, content, name=name, browser_type=browser_type)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="field-error" id="id_file_error"' in html
    assert "content was checked" in html or "incomplete" in html
    assert ChartDocument.objects.count() == 0
    assert files_in(documents_dir) == []


def test_an_oversize_file_is_refused_with_the_limit_named(personas, client, login, settings, documents_dir):
    settings.KETAPATH_DOCUMENT_MAX_BYTES = 2048
    # Larger than Django's in-memory limit too: the upload arrives as a temporary file.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    login(personas.nurse)
    response = post_upload(client, personas.patient_one, pdf_bytes(b"x" * 5000))
    assert response.status_code == 200
    html = response.content.decode()
    assert "the largest accepted is 2 KiB" in html
    assert 'id="id_file_error"' in html
    assert ChartDocument.objects.count() == 0
    assert files_in(documents_dir) == []
    # At the limit exactly: accepted.
    content = pdf_bytes(b"x" * (2048 - len(pdf_bytes())))
    assert len(content) == 2048
    assert post_upload(client, personas.patient_one, content).status_code == 302
    assert ChartDocument.objects.count() == 1


def test_an_empty_file_is_refused(personas, client, login, documents_dir):
    login(personas.nurse)
    response = post_upload(client, personas.patient_one, b"")
    assert response.status_code == 200
    assert "The file is empty." in response.content.decode()
    assert ChartDocument.objects.count() == 0
    assert files_in(documents_dir) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("document_date", (date.today() + timedelta(days=400)).isoformat(), "cannot be in the future"),
        ("document_date", "1970-01-01", "the patient&#x27;s birth"),
        ("title", "   ", "This field is required."),
        ("title", "x" * 201, "at most 200 characters"),
        ("kind", "xray", "Select a valid choice"),
    ],
)
def test_bad_fields_are_refused_at_the_field_and_nothing_is_saved(
    field, value, message, personas, client, login, documents_dir
):
    login(personas.nurse)
    response = post_upload(client, personas.patient_one, pdf_bytes(), **{field: value})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert message in html
    assert ChartDocument.objects.count() == 0
    assert files_in(documents_dir) == []


def test_a_form_without_its_key_says_so_at_the_top(personas, client, login, documents_dir):
    login(personas.nurse)
    response = post_upload(client, personas.patient_one, pdf_bytes(), client_key="not-a-key")
    assert response.status_code == 200
    assert "This form is out of date: reload the page" in response.content.decode()
    assert ChartDocument.objects.count() == 0
    assert files_in(documents_dir) == []


def test_a_double_submit_attaches_one_document(personas, client, login, documents_dir):
    login(personas.nurse)
    key = uuid.uuid4()
    for _ in range(2):
        response = post_upload(client, personas.patient_one, pdf_bytes(), client_key=key)
        assert response.status_code == 302
    assert ChartDocument.objects.count() == 1
    assert len(files_in(documents_dir)) == 1


def test_a_row_that_cannot_be_saved_leaves_no_file(personas, documents_dir, monkeypatch):
    def broken_save(self, *args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(ChartDocument, "save", broken_save)
    with pytest.raises(RuntimeError):
        attach(personas.patient_one, personas.nurse)
    assert files_in(documents_dir) == []
    assert ChartDocument.objects.count() == 0


def test_the_action_refuses_what_the_form_would(personas, documents_dir, settings):
    patient = personas.patient_one
    with pytest.raises(DocumentRefused) as refused:
        attach(patient, personas.nurse, document_date=patient.date_of_birth - timedelta(days=1))
    assert refused.value.field == "document_date"
    settings.KETAPATH_DOCUMENT_MAX_BYTES = 1024
    with pytest.raises(DocumentRefused) as refused:
        attach(patient, personas.nurse, chunks=[pdf_bytes(b"y" * 2000)])
    assert refused.value.field == "file"
    assert ChartDocument.objects.count() == 0
    assert files_in(documents_dir) == []


def test_the_content_check_reads_structure_not_just_a_prefix():
    assert sniff(png_bytes()[:32], png_bytes()[-1024:]).content_type == "image/png"
    damaged = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
    assert "damaged" in sniff(damaged, damaged).problem
    assert sniff(b"%PDF-9.9\n", b"%%EOF").content_type == ""
    assert sniff(b"\xff\xd8\xff\x00", b"").content_type == ""  # no marker after the start of image


# --- the list and the chart ----------------------------------------------------------------------


def test_the_list_shows_documents_and_the_upload_form(personas, client, login):
    document = attach(personas.patient_one, personas.nurse, title="Referral from Dr Who", kind="referral")
    login(personas.nurse)
    response = client.get(list_url(personas.patient_one))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Referral from Dr Who" in html
    assert "Referral letter" in html
    assert file_url(document) in html
    assert 'enctype="multipart/form-data"' in html
    # A nurse may not mark documents entered in error: no such form for them.
    assert "Mark entered in error" not in html
    labels = [s["label"] for s in chart_sections_for(personas.nurse, personas.patient_one.mrn)]
    assert "Documents" in labels
    assert "Documents" not in [s["label"] for s in chart_sections_for(personas.admin, "A-0001")]


def test_the_list_page_runs_the_same_queries_for_one_or_ten_documents(personas, client, login):
    patient = personas.patient_one
    attach(patient, personas.nurse)
    login(personas.prescriber)
    with CaptureQueriesContext(connection) as small:
        assert client.get(list_url(patient)).status_code == 200
    for n in range(9):
        attach(patient, personas.prescriber if n % 2 else personas.nurse, title=f"Letter {n}")
    with CaptureQueriesContext(connection) as large:
        assert client.get(list_url(patient)).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


# --- serving -------------------------------------------------------------------------------------


def test_opening_a_document_writes_one_access_log_row_and_safe_headers(personas, client, login):
    content = png_bytes()
    document = attach(
        personas.patient_one, personas.nurse, content, content_type="image/png", title='ECG "strip"/2'
    )
    login(personas.prescriber)
    before = AccessLog.objects.count()
    response = client.get(file_url(document))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    rows = list(AccessLog.objects.order_by("id")[before:])
    assert len(rows) == 1
    row = rows[0]
    assert row.action == AccessAction.VIEW_DOCUMENT
    assert (row.patient_id, row.user_id) == (personas.patient_one.pk, personas.prescriber.pk)
    assert row.path == file_url(document)
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox;")
    cache = response["Cache-Control"]
    assert "private" in cache and "no-store" in cache
    disposition = response["Content-Disposition"]
    assert disposition == 'inline; filename="ECG__strip__2.png"'  # no quote or slash of the title


def test_a_document_of_another_clinic_or_patient_is_not_found(personas, client, login):
    document = attach(personas.patient_one, personas.nurse)
    login(personas.nurse_b)
    before = AccessLog.objects.count()
    assert client.get(file_url(document)).status_code == 404
    assert client.get(list_url(personas.patient_one)).status_code == 404
    # Another patient's address with this document's number: not found either.
    login(personas.nurse)
    other = reverse("documents:file", kwargs={"mrn": personas.patient_two.mrn, "document_id": document.pk})
    assert client.get(other).status_code == 404
    assert (
        not AccessLog.objects.filter(pk__gt=0)
        .order_by("id")[before:]
        .filter(action=AccessAction.VIEW_DOCUMENT)
        .exists()
    )


@pytest.mark.parametrize("who", ["admin", "patient_one"])
def test_a_patient_or_an_administrator_cannot_reach_documents(who, personas, client, login, documents_dir):
    document = attach(personas.patient_one, personas.nurse)
    login(personas.user(who))
    before = AccessLog.objects.count()
    assert client.get(file_url(document)).status_code == 403
    assert client.get(list_url(personas.patient_one)).status_code == 403
    assert post_upload(client, personas.patient_one, pdf_bytes()).status_code == 403
    assert AccessLog.objects.count() == before
    assert ChartDocument.objects.count() == 1
    assert len(files_in(documents_dir)) == 1


def test_a_signed_out_visitor_is_sent_to_sign_in(personas, client):
    document = attach(personas.patient_one, personas.nurse)
    response = client.get(file_url(document))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_missing_file_answers_404_and_logs_nothing(personas, client, login, documents_dir):
    document = attach(personas.patient_one, personas.nurse)
    (documents_dir / document.stored_name).unlink()
    login(personas.nurse)
    before = AccessLog.objects.count()
    assert client.get(file_url(document)).status_code == 404
    assert AccessLog.objects.count() == before


# --- entered in error, never deleted ------------------------------------------------------------


def test_marking_entered_in_error_keeps_the_row_the_file_and_the_history(
    personas, client, login, documents_dir
):
    document = attach(personas.patient_one, personas.nurse, title="Wrong patient's ECG")
    url = reverse("documents:mark_in_error", kwargs={"mrn": "A-0001", "document_id": document.pk})
    login(personas.nurse)
    assert client.post(url, {"reason": "Not this patient"}).status_code == 403
    login(personas.prescriber)
    assert client.post(url, {"reason": "  "}).status_code == 302
    document.refresh_from_db()
    assert not document.is_entered_in_error  # no reason, no mark
    response = client.post(url, {"reason": "Scanned into the wrong chart"})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.is_entered_in_error
    assert document.entered_in_error_by == personas.prescriber
    assert document.entered_in_error_reason == "Scanned into the wrong chart"
    assert files_in(documents_dir) == [document.stored_name]
    reasons = list(document.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons == ["Attached: Lab report", "Entered in error: Scanned into the wrong chart"]
    # Still listed (struck through, with the reason) and still viewable by staff.
    html = client.get(list_url(personas.patient_one)).content.decode()
    assert "<s><a href" in html and "Scanned into the wrong chart" in html
    assert "1 document below is marked <strong>entered in error</strong>" in html
    assert client.get(file_url(document)).status_code == 200


def test_marking_twice_is_refused_and_changes_nothing(personas):
    document = attach(personas.patient_one, personas.nurse)
    mark_document_in_error(document, personas.prescriber, "Duplicate scan")
    with pytest.raises(DocumentRefused.__mro__[1]):  # ActionRefused
        mark_document_in_error(document, personas.prescriber, "Again")
    document.refresh_from_db()
    assert document.entered_in_error_reason == "Duplicate scan"
    assert document.history.count() == 2


def test_nothing_deletes_a_document(personas, documents_dir):
    document = attach(personas.patient_one, personas.nurse)
    with pytest.raises(HardDeleteRefused):
        document.delete()
    with pytest.raises(HardDeleteRefused):
        ChartDocument.objects.filter(pk=document.pk).delete()
    assert ChartDocument.objects.filter(pk=document.pk).exists()
    assert files_in(documents_dir) == [document.stored_name]
    names = [p.name for p in document_urls.urlpatterns]
    assert not [n for n in names if "delete" in n]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("size_bytes", 0),
        ("size_bytes", 100 * 1024 * 1024 + 1),
        ("stored_name", "../../etc/passwd"),
        ("content_type", "text/html"),
        ("kind", "xray"),
        ("sha256", "not-a-digest"),
        ("title", ""),
        ("document_date", date(1899, 12, 31)),
    ],
)
def test_the_database_refuses_what_no_upload_can_be(field, value, personas):
    from django.db import IntegrityError, transaction

    document = attach(personas.patient_one, personas.nurse)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChartDocument.objects.filter(pk=document.pk).update(**{field: value})
