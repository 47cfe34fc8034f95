"""What the flowsheet templates need, gathered from a :class:`~ketapath.infusions.flowsheet.Flowsheet`:
the entry forms (fresh, prefilled from what the session already knows), the tables' rows with
their corrections, the live fragment's new rows after a cursor, and the PK chart."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from ketapath.accounts.policy import allowed
from ketapath.clinical.instruments import Instrument, get_instrument
from ketapath.clinical.interactions import check_interactions
from ketapath.clinical.pharmacokinetics import PKInputError
from ketapath.clinical.protocols import fmt
from ketapath.consultations.medicines import current_medicines
from ketapath.infusions.due_now import DueNow, Step, due_now, next_step
from ketapath.infusions.flowsheet import (
    Flowsheet,
    current,
    latest,
    load,
    minutes,
    pk_patient,
    pk_steps,
    score_instruments,
    superseded_ids,
)
from ketapath.infusions.forms import AcknowledgeForm, AddendumForm, PreCheckForm, ReasonForm, RoundForm
from ketapath.infusions.kinds import KINDS
from ketapath.infusions.models import (
    ADMINISTERING,
    DischargeEntry,
    FlowsheetEntry,
    InfusionEventEntry,
    InfusionSession,
    PreCheck,
    SessionStatus,
)
from ketapath.pk.preview import pk_preview


def form_name(kind: str, instrument_id: str = "") -> str:
    """The key of an entry form on the page: the kind's name (a score's: ``score-<scale>``)."""
    return f"{kind}-{instrument_id}" if instrument_id else kind


def form_names() -> list[str]:
    """Every entry form the page draws: one per kind, one per scale for the scores."""
    names = []
    for kind in KINDS.values():
        if kind.scaled:
            names += [form_name(kind.name, i.id) for i in score_instruments()]
        else:
            names.append(kind.name)
    return names


# How long an acknowledged alert keeps being re-sent to open pages (acknowledgements made on the
# clinic's alert list are not ordered with the session's entries).
ACK_RESEND = timedelta(minutes=2)
# The flowsheet's PK chart ends at a multiple of this many minutes (pk_chart).
CHART_ROUNDING_MIN = 5


def _precheck_initial(session: InfusionSession, previous: PreCheck | None) -> dict[str, Any]:
    if previous is not None:
        names = [f.name for f in PreCheck._meta.fields if f.name in PreCheckForm.base_fields]
        initial = {n: getattr(previous, n) for n in names if n not in ("client_key", "observed_at")}
        for n in ("last_clear_liquids_at", "last_food_at", "last_milk_at"):
            if initial.get(n):
                initial[n] = timezone.localtime(initial[n]).replace(second=0, microsecond=0)
        return initial
    patient = session.patient
    return {"escort_name": patient.emergency_contact_name, "escort_phone": patient.emergency_contact_phone}


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else fmt(value)


def _event_initial(session: InfusionSession, events: list[InfusionEventEntry]) -> dict[str, Any]:
    """The bag in use (from the last administration row), or the plan's concentration and rate."""
    last = latest([e for e in events if e.kind in ADMINISTERING])
    if last is not None:
        return {
            "product": last.product,
            "conc_mg_per_ml": _plain(last.conc_mg_per_ml),
            "conc_salt_basis": last.conc_salt_basis,
            "lot_number": last.lot_number,
            "expiry_on": last.expiry_on,
            "rate_ml_per_h": _plain(last.rate_ml_per_h),
        }
    planned = session.planned_session
    plan = planned.plan
    initial: dict[str, Any] = {"kind": "start"}
    if planned.conc_mg_per_ml:
        initial["conc_mg_per_ml"] = _plain(planned.conc_mg_per_ml)
    if plan.conc_salt_basis in ("base", "hydrochloride"):
        initial["conc_salt_basis"] = plan.conc_salt_basis
    if planned.rate_ml_per_h:
        initial["rate_ml_per_h"] = _plain(planned.rate_ml_per_h)
    return initial


def default_instructions(sheet: Flowsheet) -> str:
    """A starting text for the discharge instructions: the clinic's template filled from this
    session's own record (its escort) and the clinic's emergency number. Never another session's
    text: instructions written for one patient are never offered to the next."""
    clinic = sheet.patient.clinic
    lines = ["Do not drive, cycle or operate machinery until tomorrow, after a night's sleep."]
    pre = sheet.prechecks.precheck
    if pre is not None and pre.escort_name:
        lines.append(f"{pre.escort_name} takes you home and stays with you this evening.")
    number = clinic.emergency_number or "your local emergency number"
    lines.append(f"If you feel unwell after you leave, call the clinic; in an emergency call {number}.")
    return "\n".join(lines)


def fresh_forms(
    session: InfusionSession,
    *,
    only: str | None = None,
    sheet: Flowsheet | None = None,
    names: set[str] | None = None,
) -> dict[str, Any]:
    """Unbound forms with a new client key each, prefilled from what the session knows
    (``only`` one, or the ``names`` given, or every form)."""
    wanted = {only} if only is not None else set(form_names()) if names is None else names
    forms: dict[str, Any] = {}
    for kind in KINDS.values():
        if kind.scaled:
            for instrument in score_instruments():
                if (name := form_name(kind.name, instrument.id)) in wanted:
                    forms[name] = kind.make_form(instrument=instrument)
        elif kind.name in wanted:
            forms[kind.name] = kind.make_form(initial=_initial(kind.name, session, sheet))
    return forms


def _initial(kind: str, session: InfusionSession, sheet: Flowsheet | None) -> dict[str, Any]:
    """What a new entry of ``kind`` starts from: the last checklist, the bag in use, the escort."""
    if kind == "precheck":
        previous = latest(current(PreCheck.objects.filter(session=session)))
        return _precheck_initial(session, previous)
    if kind == "event":
        return _event_initial(session, current(InfusionEventEntry.objects.filter(session=session)))
    if kind == "discharge":
        sheet = sheet or load(session)
        pre = sheet.prechecks.precheck
        return {"escort_name": pre.escort_name if pre else "", "instructions": default_instructions(sheet)}
    return {}


# ----------------------------------------------------------------------------------------------
# Rows
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One table of the flowsheet: its rows (originals and corrections), which are superseded."""

    kind: str
    rows: list[Any]
    superseded: set[int]
    corrected_by: dict[int, Any]


def table(kind: str, rows: list[FlowsheetEntry]) -> Table:
    """The rows, each annotated for its template: ``is_superseded``, ``corrected_by`` (the row
    that replaced it) and ``original`` (the row a correction or withdrawal replaces)."""
    by_pk = {r.pk: r for r in rows}
    by_original = {r.supersedes_id: r for r in rows if r.supersedes_id is not None}
    for row in rows:
        row.is_superseded = row.pk in by_original  # type: ignore[attr-defined]
        row.corrected_by = by_original.get(row.pk)  # type: ignore[attr-defined]
        row.original = by_pk.get(row.supersedes_id) if row.supersedes_id else None  # type: ignore[attr-defined]
    return Table(kind, rows, superseded_ids(rows), by_original)


def tables(sheet: Flowsheet) -> dict[str, Table]:
    rows = sheet.rows
    effects = {e.pk: e for e in rows.side_effects}
    for med in rows.medications:
        med.for_effect = effects.get(med.side_effect_id) if med.side_effect_id else None  # type: ignore[attr-defined]
    made = {kind.name: table(kind.name, kind.session_rows(sheet)) for kind in KINDS.values()}
    for kind in KINDS.values():
        if kind.cells is not None:
            for row in made[kind.name].rows:
                row.kind_name, row.cells = kind.name, kind.cells(row)
    return made


def row_context(sheet: Flowsheet, after: datetime | None) -> dict[str, Any]:
    """The live fragment's rows: new since ``after``, and originals whose correction is new."""
    all_tables = tables(sheet)
    new: dict[str, list[Any]] = {}
    replaced: dict[str, list[Any]] = {}
    for kind, t in all_tables.items():
        fresh = [r for r in t.rows if after is None or r.recorded_at > after]
        new[kind] = fresh
        originals = {r.supersedes_id for r in fresh if r.supersedes_id is not None}
        replaced[kind] = [
            r for r in t.rows if r.pk in originals and after is not None and r.recorded_at <= after
        ]
    alerts_new = [a for a in sheet.alerts if after is None or a.raised_at > after]
    recent = (after or sheet.now) - ACK_RESEND
    alerts_changed = [
        a
        for a in sheet.alerts
        if after is not None
        and a.raised_at <= after
        and a.acknowledged_at is not None
        and a.acknowledged_at > recent
    ]
    cursor = sheet.cursor or after
    return {
        "new_blocks": [(f"{k}-rows", KINDS[k].row_template, rows) for k, rows in new.items() if rows],
        "replaced_blocks": [(KINDS[k].row_template, rows) for k, rows in replaced.items() if rows],
        "tables": all_tables,
        "alerts_new": alerts_new,
        "alerts_changed": alerts_changed,
        "cursor": cursor.isoformat() if cursor else "",
        "any_new": any(new.values()) or bool(alerts_new),
    }


# ----------------------------------------------------------------------------------------------
# The page
# ----------------------------------------------------------------------------------------------


def plan_lines(sheet: Flowsheet) -> list[tuple[str, str, str]]:
    """The plan's facts as (label, text, source): the source is one click away on the page."""
    planned, plan = sheet.facts.planned, sheet.facts.plan
    lines = [
        ("Session", f"{planned.number} of the course, planned {planned.planned_on:%d %b %Y}", ""),
        ("Protocol", plan.protocol_name, plan.protocol_source),
        ("Plan", f"version {plan.version}, {plan.get_status_display().lower()}", ""),
        (
            "Planned dose",
            f"{fmt(planned.dose_mg)} mg ({fmt(planned.dose_mg_per_kg)} mg/kg at {fmt(plan.weight_kg)} kg)",
            "",
        ),
    ]
    if planned.rate_mg_per_h is not None:
        rate = f"{fmt(planned.rate_mg_per_h)} mg/h"
        if planned.rate_ml_per_h is not None:
            rate += f" = {fmt(planned.rate_ml_per_h)} mL/h at {fmt(planned.conc_mg_per_ml)} mg/mL"
        lines.append(("Planned rate", rate, ""))
    if planned.duration_min is not None:
        lines.append(("Planned duration", f"{fmt(planned.duration_min)} min", ""))
    if len(planned.steps) > 1:
        steps = "; ".join(
            f"from {fmt(Decimal(s['start_min']))} min {fmt(Decimal(s['rate_mg_per_h']))} mg/h"
            for s in planned.steps
        )
        lines.append(("Titration", steps, ""))
    basis = plan.salt_basis or "unstated"
    lines.append(
        (
            "Plan's milligrams",
            "salt basis not stated by the protocol" if basis == "unstated" else f"mg of {basis}",
            "",
        )
    )
    return lines


def pk_chart(sheet: Flowsheet) -> tuple[Any, str]:
    """The predicted plasma concentration from what has been given so far (typical patient with
    the model's band), to an hour past now or the stop, rounded up to the next 5 minutes (so that
    the reloads and live updates of those minutes reuse the same preview: pk_preview keeps them)."""
    delivery = sheet.delivery
    model = sheet.settings.pk_model
    if delivery.summary is None or not model or not sheet.facts.is_infusion:
        return None, ""
    steps = pk_steps(delivery)
    if not steps:
        return None, ""
    elapsed = float(minutes((sheet.discharged_at or sheet.now) - delivery.summary.started_at))
    try:
        preview = pk_preview(
            model,
            pk_patient(sheet.patient, delivery.weight_kg, sheet.now),
            steps,
            CHART_ROUNDING_MIN * math.ceil((max(elapsed, 1) + 60) / CHART_ROUNDING_MIN),
        )
    except PKInputError as exc:
        return None, f"No prediction: {exc}."
    return preview, ""


@dataclass(frozen=True)
class More:
    """An entry form kept one click away (drawn when opened): its name, words and template."""

    name: str
    label: str
    template: str
    kind: Any
    instrument: Instrument | None = None


def more_entries(sheet: Flowsheet, *, can_decide: bool) -> list[More]:
    """Every entry a nurse may need at any time, in the order of the session; none drawn until
    opened (the page shows only what is due now)."""
    started = sheet.delivery.started_at is not None
    items: list[More] = []
    for kind in KINDS.values():
        if kind.name == "decision" and not can_decide:
            continue
        if kind.name == "precheck":
            label = "Update the checklist"
        elif kind.name == "event":
            label = "Pump: start, rate change, pause, resume, bolus or stop"
        elif kind.name == "vitals":
            label = "Vital signs outside the schedule"
        elif kind.name == "discharge" and not started:
            continue
        else:
            label = f"Record a {kind.label}" if kind.name != "medication" else "Record another medicine given"
        if kind.scaled:
            for instrument in score_instruments():
                items.append(
                    More(
                        form_name(kind.name, instrument.id),
                        f"Score: {instrument.name}",
                        kind.form_template,
                        kind,
                        instrument,
                    )
                )
        else:
            items.append(More(kind.name, label, kind.form_template, kind))
    return items


def due_form(session: InfusionSession, step: Step, sheet: Flowsheet) -> Any:
    """The form the top card draws for ``step`` (fresh, prefilled as the kind's own), or None."""
    if step.form == "round":
        return RoundForm(instruments=tuple(get_instrument(s) for s in step.scales), vitals=step.vitals)
    if step.form in ("precheck", "event", "decision", "discharge"):
        form = fresh_forms(session, only=step.form, sheet=sheet)[step.form]
        if step.event_kind:
            form.initial["kind"] = step.event_kind
        summary, duration = sheet.delivery.summary, sheet.facts.planned.duration_min
        if step.event_kind == "stop" and summary is not None and duration is not None:
            # When the infusing time reached the plan's (pauses push it later).
            end = sheet.now + timedelta(minutes=float(duration - summary.infusing_min))
            # A pump set to the plan's volume stops itself at the planned end: the stop's time
            # starts there (to the minute), and the nurse changes it if the pump ran on.
            form.initial["observed_at"] = timezone.localtime(end).replace(second=0, microsecond=0)
            form.fields[
                "observed_at"
            ].help_text = (
                "The planned end, as the pump was set: change it if the pump stopped at another time."
            )
        return form
    return None


def due_context(
    request: HttpRequest,
    sheet: Flowsheet,
    bound: tuple[str, Any] | None = None,
    *,
    refused: Any = None,
    saved: Any = None,
) -> dict[str, Any]:
    """The top card: the next step and its form (``bound``: the name and form just posted from
    the card, drawn again with its errors)."""
    user = request.user
    locked = sheet.locked
    can_chart = allowed(user, "infusions.chart") and not locked
    can_cosign = (
        allowed(user, "infusions.cosign")
        and locked
        and not sheet.session.is_cosigned
        and sheet.session.nurse_signed_by_id != user.pk
    )
    due: DueNow = due_now(
        sheet,
        can_chart=can_chart,
        can_decide=allowed(user, "infusions.decide") and not locked,
        can_cosign=can_cosign,
    )
    if bound is not None:
        name, form = bound
    else:
        name, form = due.step.form or "", due_form(sheet.session, due.step, sheet)
    return {
        "due": due,
        "due_form": form,
        "due_form_name": name,
        "due_refused": refused,
        "due_saved": saved,
        "entry_count": len(sheet.rows.all()),
    }


def page_context(
    request: HttpRequest,
    sheet: Flowsheet,
    bound: dict[str, Any],
    *,
    with_forms: bool = True,
    open_form: str = "",
) -> dict[str, Any]:
    user = request.user
    locked = sheet.locked
    can_chart = allowed(user, "infusions.chart") and not locked
    can_decide = allowed(user, "infusions.decide") and not locked
    context: dict[str, Any] = {
        "patient": sheet.patient,
        "session": sheet.session,
        "sheet": sheet,
        "can_chart": can_chart,
        "can_decide": can_decide,
        "can_cosign": allowed(user, "infusions.cosign")
        and locked
        and not sheet.session.is_cosigned
        and sheet.session.nurse_signed_by_id != user.pk,
        "status_label": SessionStatus(sheet.status).label,
        "cursor": sheet.cursor.isoformat() if sheet.cursor else "",
        "tables": tables(sheet),
        "plan_lines": plan_lines(sheet),
        "score_instruments": list(score_instruments()),
        # Kinds drawn by the generic templates, each in a card of its own.
        "generic_kinds": [k for k in KINDS.values() if k.generic],
        "ack_form": AcknowledgeForm(),
        "due_list": [sheet.vitals_due, sheet.sedation_due, sheet.dissociation_due],
    }
    due_bound = bound.pop("due", None)
    if due_bound is None:
        # A form of the next step sent back with its errors (no script) is drawn in the top card.
        step_form = next_step(
            sheet,
            can_chart=can_chart,
            can_decide=can_decide,
            can_cosign=bool(context["can_cosign"]),
        ).form
        if step_form in bound:
            due_bound = (step_form, bound.pop(step_form))
    context |= due_context(request, sheet, due_bound)
    if with_forms:
        if can_chart:
            more = more_entries(sheet, can_decide=can_decide)
            names = {m.name for m in more}
            # Drawn on the page: a form sent back with its errors (no script), or the one asked for.
            opened = {n for n in bound if n in names} | ({open_form} if open_form in names else set())
            forms = fresh_forms(sheet.session, sheet=sheet, names=opened - set(bound))
            forms.update(bound)
            context["forms"] = forms
            context["more"] = more
            context["opened"] = opened
            context["reason_form"] = ReasonForm()
        if locked:
            context["addendum_form"] = AddendumForm()
        context["pk_preview"], context["pk_note"] = pk_chart(sheet)
        context |= interaction_context(sheet)
    return context


def interaction_context(sheet: Flowsheet) -> dict[str, Any]:
    """The patient's medication list checked against the planned drug, for the pre-checks (the
    same cited rules the evaluation shows)."""
    protocol = sheet.facts.protocol
    if protocol is None:
        return {}
    medicines = current_medicines(sheet.patient)
    return {
        "precheck_medicines": medicines,
        "precheck_interactions": check_interactions(medicines, drug=protocol.drug.value),
    }


@dataclass(frozen=True)
class Instructions:
    session: InfusionSession
    entry: DischargeEntry


def discharge_instructions_for(patient: Any) -> list[Instructions]:
    """The instructions given at each discharge, newest first (for the patient's own pages)."""
    entries = current(
        DischargeEntry.objects.filter(session__patient=patient, session__record_status="active")
        .select_related("session__planned_session", "recorded_by")
        .order_by("-observed_at")
    )
    return [Instructions(e.session, e) for e in entries if e.instructions_given and e.instructions]
