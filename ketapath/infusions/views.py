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
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from ketapath.accounts.policy import requires
from ketapath.alerts.models import Alert
from ketapath.audit.actions import log_access
from ketapath.audit.models import AccessAction
from ketapath.clinical.instruments import get_instrument
from ketapath.infusions import actions, flowsheet
from ketapath.infusions.actions import ChartingRefused
from ketapath.infusions.display import (
    FORM_TEMPLATES,
    SCORE_INSTRUMENTS,
    correction_form,
    fresh_forms,
    page_context,
    row_context,
)
from ketapath.infusions.forms import (
    AcknowledgeForm,
    AddendumForm,
    CorrectionForm,
    DecisionForm,
    DischargeForm,
    EventForm,
    MedicationForm,
    PreCheckForm,
    ReasonForm,
    ScoreForm,
    SideEffectForm,
    VitalsForm,
)
from ketapath.infusions.models import ENTRY_MODELS, InfusionSession
from ketapath.infusions.queries import day_sessions, patient_sessions
from ketapath.patients.access import patient_for

LIVE_EVENT = "flowsheet-changed"
# A prescriber's decision is not corrected: a later decision replaces it.
CORRECTABLE = frozenset({"precheck", "vitals", "event", "score", "side-effect", "medication", "discharge"})


def session_for(patient: Any, session_id: int) -> InfusionSession:
    session = (
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


@requires("infusions.view")
def today(request: HttpRequest) -> HttpResponse:
    day = timezone.localdate()
    rows = day_sessions(request.user.clinic_id, day)  # type: ignore[union-attr]
    actions.alert_overruns(rows)
    return render(request, "infusions/today.html", {"rows": rows, "day": day})


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
    from ketapath.plans.models import PlannedSession

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
    context = page_context(request, sheet, bound or {})
    return render(request, "infusions/flowsheet.html", context)


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
    # The access log: one row when the fragment brings chart rows or alerts the open page does
    # not show yet (all of them, without a cursor); a poll that brings nothing new writes none, so
    # a 5-second poll does not flood the log (the page wrote its own row when it was opened).
    if context["any_new"] or context["replaced_blocks"] or context["alerts_changed"]:
        log_access(request, patient, AccessAction.VIEW_LIVE)
    return render(request, "infusions/_live.html", context)


# ----------------------------------------------------------------------------------------------
# Entries
# ----------------------------------------------------------------------------------------------

Record = Callable[[InfusionSession, Any, Any], Any]


def _entry(
    request: HttpRequest,
    mrn: str,
    session_id: int,
    name: str,
    form: Any,
    record: Record,
    *,
    permission: str = "infusions.chart",
) -> HttpResponse:
    """Validate ``form``, call ``record``; answer with the form (htmx) or the page."""
    patient = patient_for(request, mrn, permission=permission, action=None)
    session = session_for(patient, session_id)
    refused: ChartingRefused | None = None
    saved = None
    if form.is_valid():
        try:
            saved = record(session, request.user, form)
        except ChartingRefused as exc:
            refused = exc
            if exc.field and exc.field in form.fields:
                form.add_error(exc.field, " ".join([str(exc), *exc.problems]))
    if request.htmx:
        context: dict[str, Any] = {"session": session, "patient": patient, "refused": refused}
        if saved is not None:
            context["form"] = fresh_forms(session, only=name)[name]
            context["saved"] = saved
        else:
            context["form"] = form
        context |= _form_context(name, session)
        response = render(request, FORM_TEMPLATES[name], context)
        if saved is not None:
            response["HX-Trigger"] = LIVE_EVENT
        return response
    if saved is not None:
        messages.success(request, "Already saved." if getattr(saved, "duplicate", False) else "Saved.")
        return redirect("infusions:flowsheet", mrn=patient.mrn, session_id=session.pk)
    if refused is not None:
        messages.error(request, " ".join([str(refused), *refused.problems]))
    return _render_page(request, session, {name: form})


def _form_context(name: str, session: InfusionSession) -> dict[str, Any]:
    if name.startswith("score-"):
        return {"instrument": get_instrument(name.removeprefix("score-"))}
    return {}


@require_POST
@requires("infusions.chart")
def precheck(request: HttpRequest, mrn: str, session_id: int) -> HttpResponse:
    def record(session: InfusionSession, user: Any, form: PreCheckForm) -> Any:
        d = form.cleaned_data
        return actions.record_precheck(
            session, user, client_key=d["client_key"], observed_at=d["observed_at"], values=d
        )

    return _entry(request, mrn, session_id, "precheck", PreCheckForm(request.POST), record)


@require_POST
@requires("infusions.chart")
def vitals(request: HttpRequest, mrn: str, session_id: int) -> HttpResponse:
    def record(session: InfusionSession, user: Any, form: VitalsForm) -> Any:
        d = form.cleaned_data
        return actions.record_vitals(
            session, user, client_key=d["client_key"], observed_at=d["observed_at"], values=form.values()
        )

    return _entry(request, mrn, session_id, "vitals", VitalsForm(request.POST), record)


@require_POST
@requires("infusions.chart")
def event(request: HttpRequest, mrn: str, session_id: int) -> HttpResponse:
    def record(session: InfusionSession, user: Any, form: EventForm) -> Any:
        d = form.cleaned_data
        return actions.record_event(
            session,
            user,
            client_key=d["client_key"],
            observed_at=d["observed_at"],
            kind=d["kind"],
            rate_ml_per_h=d.get("rate_ml_per_h"),
            dose_mg=d.get("dose_mg"),
            drug=form.drug(),
            note=d.get("note") or "",
        )

    return _entry(request, mrn, session_id, "event", EventForm(request.POST), record)


@require_POST
@requires("infusions.chart")
def score(request: HttpRequest, mrn: str, session_id: int, scale: str) -> HttpResponse:
    instrument_id = scale
    if instrument_id not in SCORE_INSTRUMENTS:
        raise Http404("Not one of the session's scales.")
    definition = get_instrument(instrument_id)

    def record(session: InfusionSession, user: Any, form: ScoreForm) -> Any:
        d = form.cleaned_data
        return actions.record_score(
            session,
            user,
            client_key=d["client_key"],
            observed_at=d["observed_at"],
            instrument_id=instrument_id,
            answers=form.answers(),
        )

    form = ScoreForm(request.POST, definition=definition)
    return _entry(request, mrn, session_id, f"score-{instrument_id}", form, record)


@require_POST
@requires("infusions.chart")
def side_effect(request: HttpRequest, mrn: str, session_id: int) -> HttpResponse:
    def record(session: InfusionSession, user: Any, form: SideEffectForm) -> Any:
        d = form.cleaned_data
        return actions.record_side_effect(
            session,
            user,
            client_key=d["client_key"],
            observed_at=d["observed_at"],
            effect=d["effect"],
            effect_other=d.get("effect_other") or "",
            severity=d["severity"],
            actions=d["actions"],
            action_note=d.get("action_note") or "",
            outcome=d.get("outcome") or "",
            outcome_at=d.get("outcome_at"),
            medication=form.medication(),
        )

    return _entry(request, mrn, session_id, "side-effect", SideEffectForm(request.POST), record)


@require_POST
@requires("infusions.chart")
def medication(request: HttpRequest, mrn: str, session_id: int) -> HttpResponse:
    def record(session: InfusionSession, user: Any, form: MedicationForm) -> Any:
        return actions.record_medication(
            session, user, client_key=form.cleaned_data["client_key"], medication=form.medication()
        )

    return _entry(request, mrn, session_id, "medication", MedicationForm(request.POST), record)


@require_POST
@requires("infusions.decide")
def decision(request: HttpRequest, mrn: str, session_id: int) -> HttpResponse:
    def record(session: InfusionSession, user: Any, form: DecisionForm) -> Any:
        d = form.cleaned_data
        return actions.record_decision(
            session,
            user,
            client_key=d["client_key"],
            observed_at=d["observed_at"],
            decision=d["decision"],
            reason=d["reason"],
        )

    return _entry(
        request,
        mrn,
        session_id,
        "decision",
        DecisionForm(request.POST),
        record,
        permission="infusions.decide",
    )


@require_POST
@requires("infusions.chart")
def discharge(request: HttpRequest, mrn: str, session_id: int) -> HttpResponse:
    def record(session: InfusionSession, user: Any, form: DischargeForm) -> Any:
        d = form.cleaned_data
        return actions.record_discharge(
            session,
            user,
            client_key=d["client_key"],
            observed_at=d["observed_at"],
            destination=d["destination"],
            escort_present=d.get("escort_present"),
            escort_name=d.get("escort_name") or "",
            instructions=d.get("instructions") or "",
            instructions_given=bool(d.get("instructions_given")),
            note=d.get("note") or "",
        )

    return _entry(request, mrn, session_id, "discharge", DischargeForm(request.POST), record)


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
    if request.htmx:
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
# Corrections
# ----------------------------------------------------------------------------------------------


@requires("infusions.chart")
def correct(request: HttpRequest, mrn: str, session_id: int, kind: str, entry_id: int) -> HttpResponse:
    """Correct (or withdraw) an entry: a new row supersedes it; the original stays."""
    patient = patient_for(request, mrn, permission="infusions.chart", action=AccessAction.EDIT)
    session = session_for(patient, session_id)
    model = ENTRY_MODELS.get(kind)
    if model is None or kind not in CORRECTABLE:
        raise Http404("This kind of entry is not corrected here.")
    original = model.objects.filter(pk=entry_id, session=session).select_related("recorded_by").first()
    if original is None:
        raise Http404("No such entry in this session.")
    back = reverse("infusions:flowsheet", kwargs={"mrn": patient.mrn, "session_id": session.pk})
    entry_form = correction_form(kind, original, request.POST if request.method == "POST" else None)
    reason_form = CorrectionForm(request.POST if request.method == "POST" else None)
    problems: list[str] = []
    if request.method == "POST" and reason_form.is_valid():
        withdraw = reason_form.cleaned_data["withdraw"]
        reason = reason_form.cleaned_data["reason"]
        if withdraw or entry_form.is_valid():
            try:
                _save_correction(kind, session, request.user, original, entry_form, reason, withdraw)
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
            "kind": kind,
            "original": original,
            "entry_form": entry_form,
            "reason_form": reason_form,
            "problems": problems,
            "back": back,
            "withdrawable": kind != "precheck",
        },
    )


def _save_correction(
    kind: str, session: InfusionSession, user: Any, original: Any, form: Any, reason: str, withdraw: bool
) -> Any:
    d = form.cleaned_data if not withdraw else {}
    key = form.cleaned_data["client_key"] if form.is_valid() else form.data.get("client_key")
    common = {"client_key": key, "supersedes": original, "reason": reason}
    if kind == "precheck":
        if withdraw:
            raise ChartingRefused("The checklist is corrected, not withdrawn.")
        return actions.record_precheck(session, user, observed_at=d["observed_at"], values=d, **common)
    if kind == "vitals":
        return actions.record_vitals(
            session,
            user,
            observed_at=d.get("observed_at"),
            values=form.values() if d else {},
            void=withdraw,
            **common,
        )
    if kind == "event":
        return actions.record_event(
            session,
            user,
            observed_at=d.get("observed_at"),
            kind=d.get("kind", ""),
            rate_ml_per_h=d.get("rate_ml_per_h"),
            dose_mg=d.get("dose_mg"),
            drug=form.drug() if d else None,
            note=d.get("note") or "",
            void=withdraw,
            **common,
        )
    if kind == "score":
        return actions.record_score(
            session,
            user,
            observed_at=d.get("observed_at"),
            instrument_id=original.instrument_id,
            answers=form.answers() if d else {},
            void=withdraw,
            **common,
        )
    if kind == "side-effect":
        return actions.record_side_effect(
            session,
            user,
            observed_at=d.get("observed_at"),
            effect=d.get("effect", ""),
            effect_other=d.get("effect_other") or "",
            severity=d.get("severity", ""),
            actions=d.get("actions", []),
            action_note=d.get("action_note") or "",
            outcome=d.get("outcome") or "",
            outcome_at=d.get("outcome_at"),
            medication=form.medication() if d else None,
            void=withdraw,
            **common,
        )
    if kind == "discharge":
        if withdraw:
            return actions.record_discharge(
                session, user, observed_at=original.observed_at, void=True, **common
            )
        return actions.record_discharge(
            session,
            user,
            observed_at=d["observed_at"],
            destination=d["destination"],
            escort_present=d.get("escort_present"),
            escort_name=d.get("escort_name") or "",
            instructions=d.get("instructions") or "",
            instructions_given=bool(d.get("instructions_given")),
            note=d.get("note") or "",
            **common,
        )
    if kind == "medication":
        return actions.record_medication(
            session,
            user,
            medication=form.medication() if d else None,
            void=withdraw,
            **common,  # type: ignore[arg-type]
        )
    raise Http404("This kind of entry is not corrected here.")


# ----------------------------------------------------------------------------------------------
# The patient's own pages
# ----------------------------------------------------------------------------------------------


@requires("portal.view")
def my_sessions(request: HttpRequest) -> HttpResponse:
    from ketapath.infusions.display import discharge_instructions_for
    from ketapath.patients.access import own_patient

    patient = own_patient(request)
    return render(
        request, "infusions/portal.html", {"patient": patient, "items": discharge_instructions_for(patient)}
    )
