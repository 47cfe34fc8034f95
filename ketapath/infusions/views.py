"""The flowsheet pages. Each view: check access, call an action, render.

Entry forms post with htmx and get back only their own form (fresh, or with its errors), plus an
``HX-Trigger`` that makes the page fetch the live fragment at once; without JavaScript they post
normally and the page is drawn again. The live fragment (polled every few seconds) carries only
the rows recorded after the page's cursor, and replaces panels that hold no form, so what a nurse
is typing is never lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from ketapath.accounts.policy import allowed, requires, user_clinic
from ketapath.alerts.models import Alert
from ketapath.audit.actions import log_access
from ketapath.audit.models import AccessAction
from ketapath.clinical.instruments import get_instrument
from ketapath.infusions import actions, flowsheet
from ketapath.infusions.actions import ChartingRefused
from ketapath.infusions.display import (
    discharge_instructions_for,
    due_context,
    form_name,
    fresh_forms,
    more_entries,
    page_context,
    row_context,
)
from ketapath.infusions.flowsheet import score_instruments
from ketapath.infusions.forms import AcknowledgeForm, AddendumForm, CorrectionForm, ReasonForm, RoundForm
from ketapath.infusions.kinds import EntryKind, kind_named
from ketapath.infusions.models import InfusionSession
from ketapath.infusions.queries import day_sessions_by_time, patient_sessions
from ketapath.patients.access import own_patient, patient_for
from ketapath.plans.models import PlannedSession

LIVE_EVENT = "flowsheet-changed"


def is_htmx(request: HttpRequest) -> bool:
    """The request came from htmx (what django-htmx's ``request.htmx`` tells, typed)."""
    return request.headers.get("HX-Request") == "true"


def session_for(patient: Any, session_id: int) -> InfusionSession:
    session: InfusionSession | None = (
        InfusionSession.objects.select_related("patient__clinic", "planned_session__plan__patient")
        .filter(pk=session_id, patient=patient)
        .first()
    )
    if session is None:
        raise Http404("No such session for this patient.")
    return session


# ----------------------------------------------------------------------------------------------
# Lists
# ----------------------------------------------------------------------------------------------


TAMPERED = "This form was out of date or changed, and nothing was saved: reload the page and chart it again."


@requires("infusions.view")
def today(request: HttpRequest) -> HttpResponse:
    clinic = user_clinic(request)
    day = timezone.localdate(timezone=clinic.zone)
    # By appointment time, each with its chair and nurse; sessions with no time booked after.
    rows = day_sessions_by_time(clinic.pk, day)
    actions.alert_overruns(rows)
    return render(request, "infusions/today.html", {"rows": rows, "day": day, "zone": clinic.zone})


@requires("infusions.view")
def patient_session_list(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="infusions.view")
    return render(
        request,
        "infusions/patient.html",
        {"patient": patient, "rows": patient_sessions(patient), "today": timezone.localdate()},
    )


@require_POST
@requires("infusions.chart")
def open_session(request: HttpRequest, mrn: str, planned_id: int) -> HttpResponse:
    patient = patient_for(request, mrn, permission="infusions.chart", action=None)
    planned = PlannedSession.objects.filter(pk=planned_id, patient=patient).first()
    if planned is None:
        raise Http404("No such planned session for this patient.")
    try:
        session = actions.open_session(planned, request.user, reason=request.POST.get("reason", ""))
    except ChartingRefused as exc:
        messages.error(request, str(exc))
        return redirect("infusions:patient", mrn=patient.mrn)
    return redirect("infusions:flowsheet", mrn=patient.mrn, session_id=session.pk)


# ----------------------------------------------------------------------------------------------
# The flowsheet and its live fragment
# ----------------------------------------------------------------------------------------------


@requires("infusions.view")
def flowsheet_page(request: HttpRequest, mrn: str, session_id: int) -> HttpResponse:
    patient = patient_for(request, mrn, permission="infusions.view")
    session = session_for(patient, session_id)
    return _render_page(request, session)


def _render_page(
    request: HttpRequest, session: InfusionSession, bound: dict[str, Any] | None = None
) -> HttpResponse:
    sheet = flowsheet.load(session)
    actions.check_overruns(session, sheet=sheet)
    context = page_context(request, sheet, bound or {}, open_form=request.GET.get("open", ""))
    return render(request, "infusions/flowsheet.html", context)


def _due_card(
    request: HttpRequest,
    session: InfusionSession,
    *,
    bound: tuple[str, Any] | None = None,
    refused: ChartingRefused | None = None,
    saved: Any = None,
) -> HttpResponse:
    """The top card drawn again after a post from it: the next step once saved, or the same form
    with its errors (``bound``)."""
    sheet = flowsheet.load(session)
    context: dict[str, Any] = {"patient": session.patient, "session": session, "sheet": sheet}
    context |= due_context(request, sheet, bound, refused=refused, saved=saved)
    response = render(request, "infusions/_due_now.html", context)
    if saved is not None:
        # After the new card has settled: the live update then asks with the new card's step, and
        # does not draw the card a second time.
        response["HX-Trigger-After-Settle"] = LIVE_EVENT
    return response


def is_due_post(request: HttpRequest) -> bool:
    """The form was posted from the top card (which is drawn again in answer)."""
    return request.GET.get("due") == "1"


def round_form(data: Any) -> RoundForm:
    """The round form rebuilt with the fields the page drew (its hidden ``scales`` and
    ``with_vitals``); a scale that is not one of the session's is a page not found."""
    known = {i.id: i for i in score_instruments()}
    wanted = [s for s in str(data.get("scales", "")).split(",") if s]
    if any(s not in known for s in wanted):
        raise Http404("Not one of the session's scales.")
    vitals = str(data.get("with_vitals", "")).lower() in ("true", "on", "1")
    return RoundForm(data, instruments=tuple(known[s] for s in wanted), vitals=vitals)


@requires("infusions.chart")
def round_entry(request: HttpRequest, mrn: str, session_id: int) -> HttpResponse:
    """An observation round: vital signs and the scales due with them, saved together."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    patient = patient_for(request, mrn, permission="infusions.chart", action=None)
    session = session_for(patient, session_id)
    form = round_form(request.POST)
    refused: ChartingRefused | None = None
    saved = None
    if form.is_valid():
        try:
            saved = actions.chart_round(
                session, request.user, client_key=form.cleaned_data["client_key"], parts=form.parts()
            )
        except ChartingRefused as exc:
            refused = exc
            if exc.field in form.fields:
                form.add_error(exc.field, " ".join([str(exc), *exc.problems]))
    if is_htmx(request):
        if saved is not None:
            return _due_card(request, session, saved=saved[0])
        return _due_card(request, session, bound=("round", form), refused=refused)
    if saved is not None:
        messages.success(request, "Already saved." if saved[0].duplicate else "Saved.")
        return redirect("infusions:flowsheet", mrn=patient.mrn, session_id=session.pk)
    if refused is not None:
        messages.error(request, " ".join([str(refused), *refused.problems]))
    return _render_page(request, session, {"due": ("round", form)})


@requires("infusions.chart")
def entry_form(request: HttpRequest, mrn: str, session_id: int, name: str) -> HttpResponse:
    """One of the entry forms kept one click away, drawn when it is opened (htmx). It shows what
    the session already knows (the bag in use, the escort): a view of the chart, logged."""
    patient = patient_for(request, mrn, permission="infusions.chart")
    session = session_for(patient, session_id)
    sheet = flowsheet.load(session)
    found = {m.name: m for m in more_entries(sheet, can_decide=allowed(request.user, "infusions.decide"))}
    item = found.get(name)
    if item is None or sheet.locked:
        raise Http404("No such form on this session.")
    form = fresh_forms(session, only=name, sheet=sheet)[name]
    context = {"session": session, "patient": patient, "form": form, "kind": item.kind}
    if item.instrument is not None:
        context["instrument"] = item.instrument
    return render(request, item.template, context)


@requires("infusions.view")
def live(request: HttpRequest, mrn: str, session_id: int) -> HttpResponse:
    patient = patient_for(request, mrn, permission="infusions.view", action=None)
    session = session_for(patient, session_id)
    after = parse_datetime(request.GET.get("after", "")) if request.GET.get("after") else None
    if request.GET.get("after") and after is None:
        return HttpResponseBadRequest("after: not a date and time")
    sheet = flowsheet.load(session)
    actions.check_overruns(session, sheet=sheet)
    context = page_context(request, sheet, {}, with_forms=False)
    context |= row_context(sheet, after)
    # The top card is drawn again when the next step changed since the page drew it (the page's
    # script keeps a card whose form the nurse has started to fill).
    context["due_changed"] = request.GET.get("step", "") != context["due"].step.signature
    # The access log: one row when the fragment brings chart rows or alerts the open page does
    # not show yet (all of them, without a cursor); a poll that brings nothing new writes none, so
    # a 5-second poll does not flood the log (the page wrote its own row when it was opened).
    if context["any_new"] or context["replaced_blocks"] or context["alerts_changed"]:
        log_access(request, patient, AccessAction.VIEW_LIVE)
    return render(request, "infusions/_live.html", context)


# ----------------------------------------------------------------------------------------------
# Entries: one view for every kind, new and corrected
# ----------------------------------------------------------------------------------------------


@requires("infusions.view")
def entry(
    request: HttpRequest, mrn: str, session_id: int, kind: str, entry_id: int | None = None, scale: str = ""
) -> HttpResponse:
    """Chart an entry of ``kind`` (POST), or correct one (``entry_id``: the page, then its POST).

    The kind's permission applies (a prescriber's decision needs ``infusions.decide``)."""
    spec = kind_named(kind)
    if entry_id is not None:
        return _correct(request, mrn, session_id, spec, entry_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    instrument = None
    if spec.scaled:
        if scale not in {i.id for i in score_instruments()}:
            raise Http404("Not one of the session's scales.")
        instrument = get_instrument(scale)
    patient = patient_for(request, mrn, permission=spec.permission, action=None)
    session = session_for(patient, session_id)
    form = spec.make_form(request.POST, instrument=instrument)
    name = form_name(spec.name, scale)
    refused: ChartingRefused | None = None
    saved = None
    if form.is_valid():
        try:
            saved = actions.chart_entry(
                session,
                spec,
                request.user,
                client_key=form.cleaned_data["client_key"],
                values=form.entry_values(),
            )
        except ChartingRefused as exc:
            refused = exc
            if exc.field in form.fields:
                form.add_error(exc.field, " ".join([str(exc), *exc.problems]))
    elif any(field.errors for field in form.hidden_fields()):
        # A hidden field (the form's key, its scale) was changed or is stale: no field shows it, so
        # the refusal says it for the whole form (a silent page would look like a save).
        refused = ChartingRefused(TAMPERED)
    if is_htmx(request) and is_due_post(request):
        if saved is not None:
            return _due_card(request, session, saved=saved)
        return _due_card(request, session, bound=(name, form), refused=refused)
    if is_htmx(request):
        context: dict[str, Any] = {"session": session, "patient": patient, "refused": refused, "kind": spec}
        if saved is not None:
            context["form"] = fresh_forms(session, only=name)[name]
            context["saved"] = saved
        else:
            context["form"] = form
        if instrument is not None:
            context["instrument"] = instrument
        response = render(request, spec.form_template, context)
        if saved is not None:
            response["HX-Trigger"] = LIVE_EVENT
        return response
    if saved is not None:
        messages.success(request, "Already saved." if saved.duplicate else "Saved.")
        return redirect("infusions:flowsheet", mrn=patient.mrn, session_id=session.pk)
    if refused is not None:
        messages.error(request, " ".join([str(refused), *refused.problems]))
    return _render_page(request, session, {"due": (name, form)} if is_due_post(request) else {name: form})


def _correct(request: HttpRequest, mrn: str, session_id: int, spec: EntryKind, entry_id: int) -> HttpResponse:
    """Correct (or withdraw) an entry: a new row supersedes it; the original stays."""
    patient = patient_for(request, mrn, permission=spec.permission, action=AccessAction.EDIT)
    session = session_for(patient, session_id)
    if not spec.correctable:
        raise Http404("This kind of entry is not corrected here.")
    original = spec.model.objects.filter(pk=entry_id, session=session).select_related("recorded_by").first()
    if original is None:
        raise Http404("No such entry in this session.")
    back = reverse("infusions:flowsheet", kwargs={"mrn": patient.mrn, "session_id": session.pk})
    data = request.POST if request.method == "POST" else None
    entry_form = spec.correction_form(original, data)
    reason_form = CorrectionForm(data)
    problems: list[str] = []
    if request.method == "POST" and reason_form.is_valid():
        withdraw = reason_form.cleaned_data["withdraw"]
        if withdraw or entry_form.is_valid():
            key = (
                entry_form.cleaned_data["client_key"]
                if entry_form.is_valid()
                else entry_form.data.get("client_key")
            )
            try:
                actions.chart_entry(
                    session,
                    spec,
                    request.user,
                    client_key=key,
                    values={} if withdraw else entry_form.entry_values(),
                    supersedes=original,
                    reason=reason_form.cleaned_data["reason"],
                    void=withdraw,
                )
            except ChartingRefused as exc:
                problems = [str(exc), *exc.problems]
            else:
                messages.success(request, "Withdrawn." if withdraw else "Corrected; the original is kept.")
                return redirect(back)
    return render(
        request,
        "infusions/correct.html",
        {
            "patient": patient,
            "session": session,
            "kind": spec.name,
            "kind_label": spec.label,
            "original": original,
            "entry_form": entry_form,
            "reason_form": reason_form,
            "problems": problems,
            "back": back,
            "withdrawable": spec.withdrawable,
        },
    )


@require_POST
@requires("infusions.chart")
def acknowledge(request: HttpRequest, mrn: str, session_id: int, alert_id: int) -> HttpResponse:
    patient = patient_for(request, mrn, permission="infusions.chart", action=None)
    session = session_for(patient, session_id)
    alert = Alert.objects.filter(pk=alert_id, patient=patient).first()
    if alert is None:
        raise Http404("No such alert for this patient.")
    form = AcknowledgeForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "Record what was done before closing the alert."
    else:
        try:
            alert = actions.acknowledge(session, alert, request.user, form.cleaned_data["action_taken"])
        except ChartingRefused as exc:
            error = str(exc)
            alert.refresh_from_db()
    if is_htmx(request):
        response = render(
            request,
            "infusions/rows/_alert.html",
            {
                "alert": alert,
                "session": session,
                "patient": patient,
                "error": error,
                "form": form,
                "can_chart": True,
            },
        )
        if not error:
            response["HX-Trigger"] = LIVE_EVENT
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Action recorded.")
    return redirect("infusions:flowsheet", mrn=patient.mrn, session_id=session.pk)


def _simple_post(
    request: HttpRequest, mrn: str, session_id: int, permission: str, run: Callable[[InfusionSession], str]
) -> HttpResponse:
    patient = patient_for(request, mrn, permission=permission, action=None)
    session = session_for(patient, session_id)
    try:
        messages.success(request, run(session))
    except ChartingRefused as exc:
        messages.error(request, " ".join([str(exc), *exc.problems]))
    return redirect("infusions:flowsheet", mrn=patient.mrn, session_id=session.pk)


@require_POST
@requires("infusions.chart")
def not_given(request: HttpRequest, mrn: str, session_id: int) -> HttpResponse:
    form = ReasonForm(request.POST)

    def run(session: InfusionSession) -> str:
        if not form.is_valid():
            raise ChartingRefused("Say why the session is not given.")
        actions.mark_not_given(session, request.user, form.cleaned_data["reason"])
        return "Recorded as not given."

    return _simple_post(request, mrn, session_id, "infusions.chart", run)


@require_POST
@requires("infusions.chart")
def sign(request: HttpRequest, mrn: str, session_id: int) -> HttpResponse:
    def run(session: InfusionSession) -> str:
        actions.sign_session(session, request.user)
        return "Signed. The session is locked; a prescriber co-signs it."

    return _simple_post(request, mrn, session_id, "infusions.chart", run)


@require_POST
@requires("infusions.cosign")
def cosign(request: HttpRequest, mrn: str, session_id: int) -> HttpResponse:
    def run(session: InfusionSession) -> str:
        actions.cosign_session(session, request.user)
        return "Co-signed."

    return _simple_post(request, mrn, session_id, "infusions.cosign", run)


@require_POST
@requires("infusions.chart")
def addendum(request: HttpRequest, mrn: str, session_id: int) -> HttpResponse:
    form = AddendumForm(request.POST)

    def run(session: InfusionSession) -> str:
        if not form.is_valid():
            raise ChartingRefused("Write the addendum.")
        actions.add_addendum(
            session, request.user, client_key=form.cleaned_data["client_key"], text=form.cleaned_data["text"]
        )
        return "Addendum added."

    return _simple_post(request, mrn, session_id, "infusions.chart", run)


# ----------------------------------------------------------------------------------------------
# The patient's own pages
# ----------------------------------------------------------------------------------------------


@requires("portal.view")
def my_sessions(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request)
    return render(
        request, "infusions/portal.html", {"patient": patient, "items": discharge_instructions_for(patient)}
    )
