"""A session's flowsheet at a moment: every number the page shows, computed by the clinical core.

:func:`load` reads the session's rows (a fixed number of queries, whatever their count) and
builds a :class:`Flowsheet`:

- the pre-infusion review (consent and plan from their apps, fasting against the clinic's chosen
  rule set, weight today against the planned dose, baseline vitals against the pre-dose
  thresholds, what needs a prescriber's decision, and what is still missing);
- the delivery (``ketapath.clinical.delivery``): dose in mg and mg/kg, time infusing and paused,
  the comparison with the plan, and the predicted plasma concentration now
  (``ketapath.clinical.pharmacokinetics``);
- when vitals and scores are due (``ketapath.clinical.monitoring.vitals_plan``: one set in each
  window of the schedule), the discharge criteria (``ketapath.clinical.discharge``), the
  durations (from the timestamps, never typed), the derived status and what signing still needs.

Nothing here writes; actions call :func:`load` to re-derive the status after each entry.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from ketapath.alerts.models import Alert
from ketapath.clinic_settings.readiness import INFUSION, MissingSetting, missing_settings
from ketapath.clinic_settings.values import values_for
from ketapath.clinical.delivery import (
    DeliveryError,
    DeliverySummary,
    EventKind,
    InfusionEvent,
    Overrun,
    PlanComparison,
    overruns,
    summarise,
)
from ketapath.clinical.discharge import (
    NOT_SET,
    Criterion,
    DischargeAssessment,
    check_discharge,
    discharge_scores,
    score_ready,
)
from ketapath.clinical.dosing import WeightRecord, plan_session
from ketapath.clinical.dosing.salt import base_per_hydrochloride, comparable
from ketapath.clinical.fasting import FastingCheck, Intake, IntakeKind, check_fasting, rulesets
from ketapath.clinical.instruments import Instrument, with_purpose
from ketapath.clinical.monitoring import (
    MonitoringPhase,
    PreDoseGuidance,
    Vital,
    VitalsCheck,
    VitalSigns,
    check_vitals,
    predose_guidance,
    vitals_plan,
)
from ketapath.clinical.pharmacokinetics import Patient as PKPatient
from ketapath.clinical.pharmacokinetics import PKInputError, get_model, simulate
from ketapath.clinical.protocols import Protocol, SaltBasis, fmt
from ketapath.consultations.readiness import plan_readiness
from ketapath.infusions.models import (
    Decision,
    DischargeEntry,
    FlowsheetEntry,
    InfusionEventEntry,
    InfusionSession,
    MedicationEntry,
    PreCheck,
    PrescriberDecision,
    ScoreEntry,
    ScorePurpose,
    SessionStatus,
    SideEffectEntry,
    VitalsEntry,
    VitalsPhase,
)
from ketapath.infusions.settings_specs import ClinicMonitoring, clinic_monitoring, half_set_thresholds
from ketapath.plans.actions import stored_inputs
from ketapath.plans.library import clinic_protocol
from ketapath.plans.models import SIGNED_STATUSES

MINUTES_PER_HOUR = Decimal(60)
VITAL_WORDS = {
    Vital.SYSTOLIC: "blood pressure",
    Vital.DIASTOLIC: "blood pressure",
    Vital.HEART_RATE: "heart rate",
    Vital.SPO2: "oxygen saturation",
    Vital.RESP_RATE: "respiratory rate",
}

#: The flowsheet's score purposes, each by the purpose its scales declare in their data files
#: (``purposes = [...]`` under ketapath/clinical/data/instruments/).
INSTRUMENT_PURPOSES = {
    ScorePurpose.SEDATION: "sedation",
    ScorePurpose.DISSOCIATION: "dissociation",
    ScorePurpose.DISCHARGE: "discharge-readiness",
}


def score_instruments() -> tuple[Instrument, ...]:
    """The session's scales, in the order the page shows them (by purpose, then by id)."""
    return tuple(i for word in INSTRUMENT_PURPOSES.values() for i in with_purpose(word))


def scale_names(purpose: ScorePurpose) -> str:
    """The names of a purpose's scales as the page lists them ("MOAA/S or RASS")."""
    return " or ".join(i.name for i in with_purpose(INSTRUMENT_PURPOSES[purpose]))


def score_purpose(instrument_id: str) -> ScorePurpose | None:
    """What a scale is for on the flowsheet (None: not one of the session's scales)."""
    for purpose, word in INSTRUMENT_PURPOSES.items():
        if any(i.id == instrument_id for i in with_purpose(word)):
            return purpose
    return None


def discharge_score_ids() -> tuple[str, ...]:
    """The discharge-readiness scales (by purpose) that the discharge core has a cut-off for
    (``ketapath/clinical/data/monitoring/discharge.toml``), in id order."""
    known = discharge_scores()
    return tuple(i.id for i in with_purpose(INSTRUMENT_PURPOSES[ScorePurpose.DISCHARGE]) if i.id in known)


E = TypeVar("E", bound=FlowsheetEntry)


def minutes(delta: timedelta) -> Decimal:
    return Decimal(delta.total_seconds()) / MINUTES_PER_HOUR


def whole_minutes(delta: timedelta) -> int:
    return int(minutes(delta).to_integral_value(rounding=ROUND_FLOOR))


def current(rows: Iterable[E]) -> list[E]:
    """The rows that count: not superseded by a correction, not withdrawn, not a withdrawal."""
    rows = list(rows)
    replaced = {r.supersedes_id for r in rows if r.supersedes_id is not None}
    return [r for r in rows if r.pk not in replaced and not r.voids and r.record_status == "active"]


def superseded_ids(rows: Iterable[FlowsheetEntry]) -> set[int]:
    return {r.supersedes_id for r in rows if r.supersedes_id is not None}


def latest(rows: Sequence[E]) -> E | None:
    return max(rows, key=lambda r: (r.observed_at, r.recorded_at, r.pk or 0), default=None)


# ----------------------------------------------------------------------------------------------
# The plan behind the session
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanFacts:
    planned: Any  # plans.PlannedSession
    plan: Any  # plans.TreatmentPlan
    protocol: Protocol | None  # None: the protocol is no longer in the clinic's library

    @property
    def is_infusion(self) -> bool:
        return bool(self.plan.route == "iv")

    def problems(self) -> list[str]:
        """Why this planned session cannot be given. A session of a version later superseded stays
        valid while it is still scheduled (a revision cancels the sessions it replaces)."""
        found = []
        if self.plan.is_entered_in_error or self.planned.is_entered_in_error:
            found.append("The plan or this planned session was marked entered in error.")
        elif self.planned.is_cancelled:
            found.append(
                f"This planned session was cancelled: {self.planned.cancelled_reason or 'no reason'}."
            )
        elif self.plan.status not in SIGNED_STATUSES:
            found.append(
                f"The plan (version {self.plan.version}) is {self.plan.get_status_display().lower()}."
            )
        if self.protocol is None:
            found.append(
                f"The plan's protocol {self.plan.protocol_id!r} is no longer in the clinic's library."
            )
        return found


def plan_facts(planned: Any) -> PlanFacts:
    plan = planned.plan
    entry = clinic_protocol(plan.patient.clinic_id, plan.protocol_id)
    return PlanFacts(planned, plan, entry.protocol if entry else None)


# ----------------------------------------------------------------------------------------------
# Pre-infusion checks
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """Something only a prescriber can clear before the infusion starts."""

    code: str
    text: str


@dataclass(frozen=True)
class WeightChange:
    weight_kg: Decimal
    plan_weight_kg: Decimal
    planned_dose_mg: Decimal
    dose_today_mg: Decimal | None  # None: the dose could not be recomputed (see note)
    percent: Decimal | None
    limit_percent: Decimal | None  # the clinic's setting; None = not set
    note: str = ""

    @property
    def needs_prescriber(self) -> bool:
        return (
            self.percent is not None and self.limit_percent is not None and self.percent > self.limit_percent
        )


def weight_change(facts: PlanFacts, weight_kg: Decimal, on: Any, limit: Decimal | None) -> WeightChange:
    """The planned dose recomputed by the dosing core for today's weight, against the plan's."""
    plan, planned = facts.plan, facts.planned
    base = WeightChange(weight_kg, plan.weight_kg, planned.dose_mg, None, None, limit)
    if facts.protocol is None:
        return replace(base, note="the plan's protocol is not available")
    inputs = stored_inputs(plan)
    try:
        today = plan_session(
            facts.protocol,
            WeightRecord(weight_kg, on),
            on=on,
            choices=inputs.choices,
            pump=inputs.pump,
            session_number=planned.number,
        )
    except ValueError as exc:
        return replace(base, note=str(exc))
    percent = abs(today.dose_mg - planned.dose_mg) * 100 / planned.dose_mg if planned.dose_mg else None
    return WeightChange(weight_kg, plan.weight_kg, planned.dose_mg, today.dose_mg, percent, limit)


def intakes_of(precheck: PreCheck) -> list[Intake]:
    """The recorded intakes in the clinic's local time (the core's messages print the clock)."""
    found = []
    if precheck.last_clear_liquids_at:
        found.append(Intake(IntakeKind.CLEAR_LIQUIDS, timezone.localtime(precheck.last_clear_liquids_at)))
    if precheck.last_food_at:
        kind = IntakeKind.FATTY_MEAL if precheck.last_food_fatty else IntakeKind.LIGHT_MEAL
        found.append(Intake(kind, timezone.localtime(precheck.last_food_at)))
    if precheck.last_milk_at:
        found.append(Intake(IntakeKind.NONHUMAN_MILK, timezone.localtime(precheck.last_milk_at)))
    return found


def required_intakes(precheck: PreCheck) -> list[IntakeKind]:
    """The checklist always asks about the last clear liquids and the last food."""
    food = IntakeKind.FATTY_MEAL if precheck.last_food_fatty else IntakeKind.LIGHT_MEAL
    return [IntakeKind.CLEAR_LIQUIDS, food]


def baseline_vitals(vitals: Sequence[VitalsEntry]) -> tuple[VitalSigns, datetime | None]:
    """The latest pre-dose value of each vital sign (they may come from different rows)."""
    values: dict[str, Any] = {}
    at = None
    for row in sorted((v for v in vitals if v.phase == VitalsPhase.PRE_DOSE), key=lambda v: v.observed_at):
        for name in (
            "systolic_mmhg",
            "diastolic_mmhg",
            "heart_rate_bpm",
            "spo2_percent",
            "resp_rate_per_min",
        ):
            if getattr(row, name) is not None:
                values[name] = getattr(row, name)
                at = row.observed_at
    return VitalSigns(**values), at


@dataclass
class PreCheckReview:
    precheck: PreCheck | None
    consent_problems: list[str]
    plan_problems: list[str]
    fasting: FastingCheck | None
    fasting_note: str
    weight: WeightChange | None
    baseline: VitalSigns
    baseline_at: datetime | None
    baseline_check: VitalsCheck
    issues: list[Issue]
    decision: PrescriberDecision | None
    missing: list[str] = field(default_factory=list)
    # The clinic's safety settings the infusion needs and the clinic has not set (each stops the
    # start; the page links to each).
    settings_missing: list[MissingSetting] = field(default_factory=list)
    # Cited pre-dose guidance for this plan's drug and route (data/monitoring/predose.toml).
    guidance: list[PreDoseGuidance] = field(default_factory=list)
    # What of ``missing`` the checklist itself answers, and what the baseline vitals answer (the
    # flowsheet's next step: the checklist, then the baseline row, then the start).
    checklist_missing: list[str] = field(default_factory=list)
    baseline_missing: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> list[str]:
        """Everything that stops the start, the unset clinic settings first (one sentence each)."""
        return [m.sentence() for m in self.settings_missing] + self.missing

    @property
    def decision_needed(self) -> bool:
        return bool(self.issues) and not self.decision_covers

    @property
    def decision_covers(self) -> bool:
        if self.decision is None or self.decision.decision == Decision.DO_NOT_PROCEED:
            return False
        answered = {i.get("code") for i in self.decision.issues}
        return {i.code for i in self.issues} <= answered

    @property
    def declined(self) -> bool:
        return self.decision is not None and self.decision.decision == Decision.DO_NOT_PROCEED

    @property
    def ready(self) -> bool:
        return not self.missing and not self.settings_missing


def review_prechecks(
    *,
    patient: Any,
    facts: PlanFacts,
    settings: ClinicMonitoring,
    prechecks: Sequence[PreCheck],
    vitals: Sequence[VitalsEntry],
    decisions: Sequence[PrescriberDecision],
    at: datetime,
    readiness_reasons: list[str],
    settings_missing: Sequence[MissingSetting] = (),
) -> PreCheckReview:
    """The checklist as of ``at`` (now, or the start time when signing). ``settings_missing``: the
    clinic's unset safety settings for an infusion on this plan's route (they stop the start)."""
    precheck = latest(prechecks)
    missing: list[str] = []
    fasting = None
    fasting_note = ""
    weight = None
    if precheck is None:
        missing.append("Pre-infusion checklist not recorded.")
    else:
        if not precheck.identity_confirmed:
            missing.append("Identity not confirmed with two identifiers.")
        ruleset = settings.fasting_ruleset
        if ruleset is None or ruleset not in rulesets():
            fasting_note = f"Fasting rule: {NOT_SET}."
            missing.append(fasting_note)
        else:
            try:
                fasting = check_fasting(
                    intakes_of(precheck), timezone.localtime(at), ruleset, required=required_intakes(precheck)
                )
            except ValueError as exc:
                fasting_note = f"Fasting: {exc}."
                missing.append(fasting_note)
            else:
                if fasting.status == "fail":
                    ready = fasting.earliest_start
                    when = f": ready from {timezone.localtime(ready):%H:%M}" if ready else ""
                    missing.append(f"Not fasted long enough{when} ({fasting.ruleset.citation.label()}).")
                elif fasting.status == "incomplete":
                    kinds = ", ".join(k.value.replace("-", " ") for k in fasting.missing)
                    missing.append(f"Fasting: last {kinds} not recorded.")
        if not (precheck.escort_name.strip() and precheck.escort_phone.strip()):
            missing.append("Escort's name and phone not recorded.")
        if not precheck.no_driving_acknowledged:
            missing.append("No-driving-until-the-next-day not acknowledged.")
        if precheck.weight_kg is None:
            missing.append("Weight today not recorded.")
        else:
            weight = weight_change(
                facts, precheck.weight_kg, timezone.localtime(at).date(), settings.weight_change_percent
            )
        if precheck.pain_nrs is None:
            missing.append("Baseline pain (0-10) not recorded.")
        if precheck.mood_0_10 is None:
            missing.append("Baseline mood (0-10) not recorded.")
        if not precheck.no_new_medications and not precheck.new_medications.strip():
            missing.append("New medicines: record them, or tick that there are none.")
    checklist_missing = list(missing)
    baseline, baseline_at = baseline_vitals(vitals)
    gaps = [
        label
        for label, ok in (
            ("blood pressure", baseline.systolic_mmhg is not None and baseline.diastolic_mmhg is not None),
            ("heart rate", baseline.heart_rate_bpm is not None),
            ("SpO2", baseline.spo2_percent is not None),
            ("respiratory rate", baseline.resp_rate_per_min is not None),
        )
        if not ok
    ]
    if gaps:
        missing.append("Baseline vitals missing: " + ", ".join(gaps) + ".")
    guidance = list(predose_guidance(facts.plan.drug, facts.plan.route))
    for g in guidance:
        if any(baseline.get(v) is None for v in g.vitals):
            names = ", ".join(dict.fromkeys(VITAL_WORDS[v] for v in g.vitals))
            missing.append(f"Before dosing, record the {names} ({g.citation.label()}).")
    baseline_missing = missing[len(checklist_missing) :]
    baseline_check = check_vitals(baseline, MonitoringPhase.PRE_DOSE, settings.vitals)
    issues = [Issue(a.threshold_id, a.message) for a in baseline_check.alerts]
    if weight is not None and weight.needs_prescriber:
        assert weight.percent is not None and weight.limit_percent is not None
        issues.append(
            Issue(
                "weight-change",
                f"Weight today {fmt(weight.weight_kg)} kg (plan: {fmt(weight.plan_weight_kg)} kg) changes "
                f"the planned dose by {weight.percent:.1f} % (clinic setting: more than "
                f"{fmt(weight.limit_percent)} % asks for the prescriber)",
            )
        )
    consent_problems = list(readiness_reasons)
    missing += consent_problems
    plan_problems = facts.problems()
    missing += plan_problems
    review = PreCheckReview(
        precheck,
        consent_problems,
        plan_problems,
        fasting,
        fasting_note,
        weight,
        baseline,
        baseline_at,
        baseline_check,
        issues,
        latest(decisions),
        missing,
        list(settings_missing),
        guidance,
        checklist_missing,
        baseline_missing,
    )
    if review.declined:
        missing.append("The prescriber decided not to give the infusion today.")
    elif review.decision_needed:
        missing.append("A prescriber's decision is needed: " + "; ".join(i.text for i in issues) + ".")
    return review


# ----------------------------------------------------------------------------------------------
# Delivery and pharmacokinetics
# ----------------------------------------------------------------------------------------------


def core_events(events: Sequence[InfusionEventEntry]) -> list[InfusionEvent]:
    ordered = sorted(events, key=lambda e: (e.observed_at, e.recorded_at, e.pk or 0))
    return [
        InfusionEvent(
            e.observed_at,
            EventKind(e.kind),
            rate_mg_per_h=e.rate_mg_per_h if e.kind in ("start", "rate-change", "resume") else None,
            dose_mg=e.dose_mg if e.kind == "bolus" else None,
        )
        for e in ordered
    ]


@dataclass
class DeliveryView:
    summary: DeliverySummary | None
    error: str
    weight_kg: Decimal
    salt_basis: str  # of the recorded milligrams ("base" or "hydrochloride"; "" before any)
    comparison: PlanComparison | None
    comparable_note: str
    started_at: datetime | None
    stopped_at: datetime | None
    running: bool
    paused: bool
    current_rate_mg_per_h: Decimal | None
    current_rate_ml_per_h: Decimal | None
    planned_end_at: datetime | None
    planned_end_reached: bool = False
    overruns: tuple[Overrun, ...] = ()
    conc_ng_per_ml: float | None = None
    pk_note: str = ""
    pk_model: str = ""


def delivered(
    events: Sequence[InfusionEventEntry], weight_kg: Decimal, facts: PlanFacts, now: datetime
) -> DeliveryView:
    ordered = sorted(events, key=lambda e: (e.observed_at, e.recorded_at, e.pk or 0))
    basis = next((e.conc_salt_basis for e in ordered if e.conc_salt_basis), "")
    start = next((e for e in ordered if e.kind == "start"), None)
    stop = next((e for e in ordered if e.kind == "stop"), None)
    state_paused = False
    rate_mg = rate_ml = None
    for e in ordered:
        if e.kind in ("start", "rate-change") or (e.kind == "resume" and e.rate_mg_per_h is not None):
            rate_mg, rate_ml = e.rate_mg_per_h, e.rate_ml_per_h
        if e.kind == "pause":
            state_paused = True
        elif e.kind in ("resume", "stop"):
            state_paused = False
    running = start is not None and stop is None
    planned = facts.planned
    planned_end = None
    view = DeliveryView(
        None,
        "",
        weight_kg,
        basis,
        None,
        "",
        start.observed_at if start else None,
        stop.observed_at if stop else None,
        running,
        running and state_paused,
        rate_mg if running and not state_paused else None,
        rate_ml if running and not state_paused else None,
        planned_end,
    )
    if not ordered:
        return view
    try:
        summary = summarise(
            core_events(ordered), weight_kg=weight_kg, as_of=max(now, ordered[-1].observed_at)
        )
    except DeliveryError as exc:
        view.error = str(exc)
        return view
    view.summary = summary
    if running and planned.duration_min is not None:
        # The planned duration counts infusing time: pauses push the planned end later.
        left = planned.duration_min - summary.infusing_min
        view.planned_end_at = now + timedelta(minutes=float(max(left, Decimal(0))))
        view.planned_end_reached = left <= 0
    # Compared in the recorded product's basis when the plan's milligrams convert to it;
    # otherwise as stated, and the page says so.
    plan_basis = SaltBasis(facts.plan.salt_basis or SaltBasis.UNSTATED.value)
    planned_mg, convertible = comparable(
        planned.dose_mg, plan_basis, SaltBasis(basis or SaltBasis.UNSTATED.value)
    )
    view.comparison = PlanComparison(
        planned_mg=planned_mg,
        delivered_mg=summary.total_mg,
        planned_min=planned.duration_min,
        infusing_min=summary.infusing_min,
    )
    view.overruns = overruns(view.comparison, running=running)
    if not convertible:
        view.comparable_note = (
            "The plan's milligrams are as the protocol states them (salt basis not stated); the delivered "
            f"milligrams are of {basis}: compared as stated."
        )
    return view


def predict_now(
    view: DeliveryView, patient: Any, facts: PlanFacts, model_id: str | None, now: datetime
) -> None:
    """Fill the predicted plasma concentration now (typical patient) into ``view``."""
    if view.summary is None:
        return
    if not facts.is_infusion:
        view.pk_note = "Predicted concentrations are shown for intravenous infusions only."
        return
    if not model_id:
        view.pk_note = f"Pharmacokinetic model: {NOT_SET}."
        return
    try:
        model = get_model(model_id)
        view.pk_model = model.name
        elapsed = float(minutes(now - view.summary.started_at))
        if elapsed <= 0:
            view.conc_ng_per_ml = 0.0
            return
        prediction = simulate(model, pk_patient(patient, view.weight_kg, now), pk_steps(view), [elapsed])
    except (PKInputError, KeyError, ValueError) as exc:
        view.pk_note = f"No prediction: {exc}."
        return
    value = float(prediction.plasma_ng_per_ml[-1])
    view.conc_ng_per_ml = round(value, 1) if math.isfinite(value) else None


def pk_steps(view: DeliveryView) -> tuple[Any, ...]:
    assert view.summary is not None
    factor = base_per_hydrochloride() if view.salt_basis == "hydrochloride" else Decimal(1)
    return view.summary.pk_steps(factor)


def pk_patient(patient: Any, weight_kg: Decimal, now: datetime) -> Any:
    return PKPatient(
        float(weight_kg),
        age_y=float(patient.age_on(timezone.localtime(now).date())),
        sex=patient.sex if patient.sex in ("female", "male") else None,
        height_cm=float(patient.height_cm) if patient.height_cm else None,
    )


# ----------------------------------------------------------------------------------------------
# When vitals and scores are due: one set in each window of the schedule
# ----------------------------------------------------------------------------------------------


@dataclass
class Due:
    """``windows``: (from_min, to_min, done) after the start; the first window ends at 0 (before
    dosing). ``due_by`` is the end of the current window when nothing is in it yet."""

    label: str
    basis: str  # "protocol", "clinic-setting" or "not-set"
    source: str
    interval_min: int | None
    notes: tuple[str, ...]
    windows: list[tuple[int, int, bool]]
    due_by: datetime | None = None
    window_from: datetime | None = None
    next_at: datetime | None = None
    missed: list[tuple[int, int]] = field(default_factory=list)

    @property
    def due_now(self) -> bool:
        return self.due_by is not None


def windows_from(times: Sequence[int], interval: int | None, until_min: Decimal) -> list[tuple[int, int]]:
    """Consecutive windows ending at each scheduled time, extended by ``interval`` while the
    session goes on past the plan (a longer observation)."""
    ends = sorted(set(times))
    if interval:
        while ends and ends[-1] < until_min:
            ends.append(ends[-1] + interval)
    windows = []
    previous = 0
    for end in ends:
        windows.append((previous, end))
        previous = end
    return windows


def due(
    label: str,
    plan_times: Sequence[int],
    interval: int | None,
    basis: str,
    source: str,
    notes: tuple[str, ...],
    taken_min: Sequence[Decimal],
    baseline_taken: bool,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> Due:
    """Which windows have a reading, which were missed, and whether one is due now.

    A window (a, b] is done when a reading falls in it; the 0-minute window is the baseline
    before dosing. Before the start only the baseline can be due; after ``end`` (discharge)
    nothing is.
    """
    result = Due(label, basis, source, interval, notes, [])
    if start is None:
        if not baseline_taken and 0 in plan_times:
            result.due_by = now
        return result
    horizon = minutes((end or now) - start)
    windows = windows_from(plan_times, interval, horizon)
    for low, high in windows:
        # The 0-minute window is the baseline before dosing.
        done = baseline_taken if high == 0 else any(low < m <= high for m in taken_min)
        result.windows.append((low, high, done))
        start_at, end_at = start + timedelta(minutes=low), start + timedelta(minutes=high)
        if done or high <= 0:
            continue
        if end_at < (end or now):
            result.missed.append((low, high))
        elif end is None and result.due_by is None and start_at <= now:
            result.due_by, result.window_from = end_at, start_at
    if end is None and result.due_by is None:
        # Nothing due: the next window opens where the one holding now ends (windows are
        # consecutive; without an interval, the plan's last time ends them).
        ahead = [start + timedelta(minutes=high) for _, high, _ in result.windows if high > 0]
        future = [moment for moment in ahead if moment > now]
        result.next_at = min(future) if future else None
    return result


def score_times(interval: int | None, until_min: Decimal) -> list[int]:
    if not interval:
        return []
    return list(range(interval, int(until_min) + interval, interval))


# ----------------------------------------------------------------------------------------------
# Discharge
# ----------------------------------------------------------------------------------------------


@dataclass
class DischargeReview:
    criteria: list[Criterion]
    scores: dict[str, ScoreEntry | None]
    escort: Criterion | None  # judged at discharge
    observation_min: int | None  # since the stop, to the older of the two latest discharge scores

    @property
    def ready(self) -> bool:
        """Scores at their cited cut-offs and the observation time met (escort judged at discharge)."""
        return bool(self.criteria) and all(c.met is True for c in self.criteria)


def review_discharge(
    protocol: Protocol | None,
    settings: ClinicMonitoring,
    stopped_at: datetime | None,
    scores: Sequence[ScoreEntry],
    escort_present: bool | None,
) -> DischargeReview:
    latest_scores = {
        instrument: latest([s for s in scores if s.instrument_id == instrument])
        for instrument in discharge_score_ids()
    }
    criteria: list[Criterion] = []
    recorded = [s for s in latest_scores.values() if s is not None]
    for score_id, entry in latest_scores.items():
        info = discharge_scores()[score_id]
        if entry is None or entry.total is None:
            criteria.append(
                Criterion(
                    f"{info.name} at least {info.minimum_total}", None, "not recorded", info.citation.label()
                )
            )
        else:
            criteria.append(score_ready(score_id, int(entry.total)))
    escort = None
    observation = None
    if protocol is None:
        criteria.append(
            Criterion("Minimum observation time", None, "the plan's protocol is not available", "")
        )
    elif stopped_at is None:
        criteria.append(Criterion("Minimum observation time", None, "the infusion has not been stopped", ""))
    else:
        since = min((s.observed_at for s in recorded), default=None)
        observation = whole_minutes(since - stopped_at) if since else 0
        check = check_discharge(
            protocol,
            # Only the observation and escort criteria are read here; the scores were judged above.
            DischargeAssessment(next(iter(latest_scores)), 10, max(observation, 0), escort_present),
            settings.discharge,
        )
        criteria.append(check.criteria[1])
        escort = check.criteria[2] if len(check.criteria) > 2 else None
        if not recorded:
            criteria[-1] = Criterion(
                criteria[-1].label, None, "judged with the discharge scores", criteria[-1].source
            )
    return DischargeReview(criteria, latest_scores, escort, observation)


def escort_rule(protocol: Protocol | None, settings: ClinicMonitoring) -> tuple[bool | None, str]:
    """Whether an escort is required and on whose word (the protocol's source, or the clinic)."""
    if protocol is not None and protocol.monitoring.requires_escort is not None:
        cited = (
            protocol.monitoring.citation.label() if protocol.monitoring.citation else protocol.source_label
        )
        return protocol.monitoring.requires_escort, cited
    return settings.discharge.requires_escort, "clinic setting"


# ----------------------------------------------------------------------------------------------
# The whole flowsheet
# ----------------------------------------------------------------------------------------------


@dataclass
class Rows:
    events: list[InfusionEventEntry]
    vitals: list[VitalsEntry]
    scores: list[ScoreEntry]
    side_effects: list[SideEffectEntry]
    medications: list[MedicationEntry]
    prechecks: list[PreCheck]
    decisions: list[PrescriberDecision]
    discharges: list[DischargeEntry]

    def all(self) -> list[FlowsheetEntry]:
        return [
            *self.events,
            *self.vitals,
            *self.scores,
            *self.side_effects,
            *self.medications,
            *self.prechecks,
            *self.decisions,
            *self.discharges,
        ]


ALL_KINDS = frozenset(
    {"events", "vitals", "scores", "side_effects", "medications", "prechecks", "decisions", "discharges"}
)
DELIVERY_KINDS = frozenset({"events", "prechecks"})


def load_rows(session: InfusionSession, kinds: frozenset[str] = ALL_KINDS, *, authors: bool = True) -> Rows:
    """Every row of the session, corrections and originals alike (one query per kind asked for).
    ``authors``: with who recorded each row (the pages show it; the status and the delivery do
    not need it, and the join costs on every entry charted)."""

    def rows(name: str, model: type[E]) -> list[E]:
        if name not in kinds:
            return []
        found = model.objects.filter(session=session)
        if authors:
            found = found.select_related("recorded_by")
        return list(found.order_by("observed_at", "id"))

    return Rows(
        rows("events", InfusionEventEntry),
        rows("vitals", VitalsEntry),
        rows("scores", ScoreEntry),
        rows("side_effects", SideEffectEntry),
        rows("medications", MedicationEntry),
        rows("prechecks", PreCheck),
        rows("decisions", PrescriberDecision),
        rows("discharges", DischargeEntry),
    )


def current_rows(rows: Rows) -> Rows:
    return Rows(
        current(rows.events),
        current(rows.vitals),
        current(rows.scores),
        current(rows.side_effects),
        current(rows.medications),
        current(rows.prechecks),
        current(rows.decisions),
        current(rows.discharges),
    )


def session_alerts(session: InfusionSession) -> list[Alert]:
    """Alerts raised from this session (their origin is the session row)."""
    kind = ContentType.objects.get_for_model(InfusionSession)
    return list(
        Alert.objects.filter(origin_type=kind, origin_id=session.pk)
        .select_related("acknowledged_by")
        .order_by("raised_at", "id")
    )


@dataclass
class Flowsheet:
    session: InfusionSession
    patient: Any
    facts: PlanFacts
    settings: ClinicMonitoring
    now: datetime
    rows: Rows
    cur: Rows
    alerts: list[Alert]
    prechecks: PreCheckReview
    delivery: DeliveryView
    vitals_due: Due
    sedation_due: Due
    dissociation_due: Due
    discharge: DischargeReview
    escort_required: bool | None
    escort_source: str
    half_set: list[str]
    status: str = SessionStatus.WAITING
    #: The observation the protocol (or, where it gives none, the clinic) requires after the stop.
    min_observation_min: int | None = None
    sign_problems: list[str] = field(default_factory=list)
    sign_notes: list[str] = field(default_factory=list)

    @property
    def open_alerts(self) -> list[Alert]:
        return [a for a in self.alerts if a.is_open]

    @property
    def discharge_entry(self) -> DischargeEntry | None:
        return latest(self.cur.discharges)

    @property
    def discharged_at(self) -> datetime | None:
        entry = self.discharge_entry
        return entry.observed_at if entry else None

    @property
    def infusion_min(self) -> Decimal | None:
        s = self.delivery.summary
        return s.infusing_min if s else None

    @property
    def monitoring_min(self) -> Decimal | None:
        """From the start of the infusion to discharge (or now)."""
        start = self.delivery.started_at
        if start is None:
            return None
        return minutes((self.discharged_at or self.now) - start)

    @property
    def observation_min(self) -> Decimal | None:
        stop = self.delivery.stopped_at
        if stop is None:
            return None
        return minutes((self.discharged_at or self.now) - stop)

    @property
    def locked(self) -> bool:
        return self.session.is_signed

    @property
    def cursor(self) -> datetime | None:
        """The newest thing the page shows: the live fragment asks for what came after it."""
        stamps = [r.recorded_at for r in self.rows.all()] + [a.raised_at for a in self.alerts]
        return max(stamps, default=None)

    def weight_kg(self) -> Decimal:
        pre = self.prechecks.precheck
        if pre is not None and pre.weight_kg is not None:
            return pre.weight_kg
        weight: Decimal = self.facts.plan.weight_kg
        return weight


def infusion_settings_missing(
    clinic_id: int, facts: PlanFacts, values: dict[str, Any] | None = None
) -> list[MissingSetting]:
    """The clinic's unset safety settings that stop an infusion on this plan's route."""
    return missing_settings(clinic_id, INFUSION, route=facts.plan.route, values=values)


def current_status(session: InfusionSession, now: datetime) -> tuple[str, bool]:
    """The status and whether the pump is paused: only what the day's list needs (the actions
    call this after every entry; the full :func:`load` is for pages)."""
    # Only the kinds the answer depends on are read, in the order derive_status asks for them:
    # the pump and the discharge always; the scores once stopped; the pre-dose rows before start.
    cur = current_rows(load_rows(session, kinds=DELIVERY_KINDS | {"discharges"}, authors=False))
    facts = plan_facts(session.planned_session)
    delivery = delivered(cur.events, weight_today(cur.prechecks, facts), facts, now)
    more: set[str] = set()
    if not session.not_given_reason and not cur.discharges:
        if delivery.stopped_at is not None:
            more.add("scores")
        elif delivery.started_at is None and not cur.prechecks:
            more |= {"vitals", "decisions"}
    if more:
        extra = current_rows(load_rows(session, kinds=frozenset(more), authors=False))
        cur = replace(cur, scores=extra.scores, vitals=extra.vitals, decisions=extra.decisions)
    discharge = None
    if "scores" in more:
        settings = clinic_monitoring(values_for(session.patient.clinic_id))
        discharge = review_discharge(facts.protocol, settings, delivery.stopped_at, cur.scores, None)
    return derive_status(session, cur, delivery, discharge), delivery.paused


def delivery_now(session: InfusionSession, now: datetime) -> DeliveryView:
    """What the pump delivered as of ``now`` and whether it went past the plan: the pump events
    and the checklist's weight only (the actions check overruns after every pump event; the
    full :func:`load` is for pages)."""
    cur = current_rows(load_rows(session, kinds=DELIVERY_KINDS, authors=False))
    facts = plan_facts(session.planned_session)
    return delivered(cur.events, weight_today(cur.prechecks, facts), facts, now)


def weight_today(prechecks: Sequence[PreCheck], facts: PlanFacts) -> Decimal:
    """The weight the checklist recorded today, else the plan's."""
    pre = latest(prechecks)
    weight: Decimal = pre.weight_kg if pre is not None and pre.weight_kg is not None else facts.plan.weight_kg
    return weight


def derive_status(
    session: InfusionSession, cur: Rows, delivery: DeliveryView, discharge: DischargeReview | None
) -> str:
    """``discharge``: the discharge review (None only where the answer does not depend on it)."""
    if session.not_given_reason:
        return SessionStatus.NOT_GIVEN
    if cur.discharges:
        return SessionStatus.DISCHARGED
    if delivery.stopped_at is not None:
        return SessionStatus.READY if discharge is not None and discharge.ready else SessionStatus.OBSERVATION
    if delivery.started_at is not None:
        return SessionStatus.INFUSING
    if cur.prechecks or cur.vitals or cur.decisions:
        return SessionStatus.PRECHECKS
    return SessionStatus.WAITING


def load(session: InfusionSession, now: datetime | None = None, *, rows: Rows | None = None) -> Flowsheet:
    """The flowsheet of ``session`` as of ``now``."""
    now = now or timezone.now()
    patient = session.patient
    facts = plan_facts(session.planned_session)
    values = values_for(patient.clinic_id)
    settings = clinic_monitoring(values)
    rows = rows or load_rows(session)
    cur = current_rows(rows)
    start_event = next(
        (e for e in sorted(cur.events, key=lambda e: e.observed_at) if e.kind == "start"), None
    )
    readiness = plan_readiness(patient)
    consent_reasons = [] if readiness.ready else list(readiness.reasons)
    review = review_prechecks(
        patient=patient,
        facts=facts,
        settings=settings,
        prechecks=cur.prechecks,
        vitals=cur.vitals,
        decisions=cur.decisions,
        at=start_event.observed_at if start_event else now,
        readiness_reasons=consent_reasons,
        settings_missing=infusion_settings_missing(patient.clinic_id, facts, values),
    )
    pre = review.precheck
    weight = pre.weight_kg if pre is not None and pre.weight_kg is not None else facts.plan.weight_kg
    delivery = delivered(cur.events, weight, facts, now)
    protocol = facts.protocol
    discharge_entry = latest(cur.discharges)
    end = discharge_entry.observed_at if discharge_entry else None
    predict_now(delivery, patient, facts, settings.pk_model, end or now)
    observation = None
    if protocol is not None:
        observation = protocol.monitoring.min_observation_min
    if observation is None:
        observation = settings.discharge.min_observation_min
    start = delivery.started_at
    pre_dose = [v for v in cur.vitals if v.phase == VitalsPhase.PRE_DOSE]
    taken = [minutes(v.observed_at - start) for v in cur.vitals if start and v.phase == VitalsPhase.DURING]
    if protocol is not None:
        plan = vitals_plan(
            protocol,
            duration_min=facts.planned.duration_min,
            observation_min=observation,
            clinic_interval_min=settings.vitals_interval_min,
        )
        vitals_due = due(
            "Vital signs",
            plan.times_min,
            plan.interval_min,
            plan.basis,
            plan.source,
            plan.notes,
            taken,
            bool(pre_dose),
            start,
            end,
            now,
        )
    else:
        vitals_due = due("Vital signs", (0,), None, "not-set", "", (), taken, bool(pre_dose), start, end, now)
    until = (facts.planned.duration_min or Decimal(0)) + (observation or 0)
    interval = settings.scores_interval_min
    score_basis = "clinic-setting" if interval else "not-set"
    score_notes = () if interval else (f"Sedation and dissociation interval: {NOT_SET}.",)

    def score_due(label: str, purpose: str) -> Due:
        taken = [
            minutes(s.observed_at - start)
            for s in cur.scores
            if start and score_purpose(s.instrument_id) == purpose
        ]
        return due(
            label,
            score_times(interval, until),
            interval,
            score_basis,
            "clinic setting" if interval else "",
            score_notes,
            taken,
            True,
            start,
            end,
            now,
        )

    escort_required, escort_source = escort_rule(protocol, settings)
    discharge = review_discharge(
        protocol,
        settings,
        delivery.stopped_at,
        cur.scores,
        discharge_entry.escort_present if discharge_entry else None,
    )
    sheet = Flowsheet(
        session=session,
        patient=patient,
        facts=facts,
        settings=settings,
        now=now,
        rows=rows,
        cur=cur,
        alerts=session_alerts(session),
        prechecks=review,
        delivery=delivery,
        vitals_due=vitals_due,
        sedation_due=score_due(f"Sedation ({scale_names(ScorePurpose.SEDATION)})", ScorePurpose.SEDATION),
        dissociation_due=score_due(
            f"Dissociation ({scale_names(ScorePurpose.DISSOCIATION)})", ScorePurpose.DISSOCIATION
        ),
        discharge=discharge,
        escort_required=escort_required,
        escort_source=escort_source,
        half_set=half_set_thresholds(values),
        min_observation_min=observation,
    )
    sheet.status = derive_status(session, cur, delivery, discharge)
    sheet.sign_problems, sheet.sign_notes = sign_review(sheet)
    return sheet


def sign_review(sheet: Flowsheet) -> tuple[list[str], list[str]]:
    """What still stops the nurse's signature, and what is only noted."""
    problems: list[str] = []
    notes: list[str] = []
    open_alerts = sheet.open_alerts
    if open_alerts:
        problems.append(f"{len(open_alerts)} alert(s) still need what was done recorded.")
    if sheet.session.not_given_reason:
        return problems, notes
    delivery = sheet.delivery
    cur = sheet.cur
    review = sheet.prechecks
    # Consent and plan were checked when the infusion started (the start is refused without
    # them); a later change does not unmake the session given.
    given = set(review.consent_problems + review.plan_problems) if delivery.started_at else set()
    problems += [f"Pre-checks: {m}" for m in review.missing if m not in given]
    if delivery.error:
        problems.append(f"Pump events: {delivery.error}.")
    if delivery.started_at is None:
        problems.append("No start of the infusion recorded.")
    if delivery.stopped_at is None:
        problems.append("No stop of the infusion recorded.")
    start = delivery.started_at
    if start is not None and not any(v.phase == VitalsPhase.DURING for v in cur.vitals):
        problems.append("No vital signs recorded during treatment.")
    for purpose, label in (
        (ScorePurpose.SEDATION, f"sedation ({scale_names(ScorePurpose.SEDATION)})"),
        (ScorePurpose.DISSOCIATION, f"dissociation ({scale_names(ScorePurpose.DISSOCIATION)})"),
    ):
        if start is not None and not any(
            score_purpose(s.instrument_id) == purpose and s.observed_at >= start for s in cur.scores
        ):
            problems.append(f"No {label} score recorded during treatment.")
    for effect in cur.side_effects:
        if not effect.outcome:
            onset = timezone.localtime(effect.observed_at)
            problems.append(
                f"Side effect {effect.effect_label.lower()} ({onset:%H:%M}): outcome not recorded."
            )
    entry = sheet.discharge_entry
    if entry is None:
        problems.append("Discharge not recorded.")
    elif entry.destination == "home":
        for c in sheet.discharge.criteria:
            if c.met is not True:
                problems.append(f"Discharge: {c.label}: {c.detail}.")
        if sheet.escort_required is None:
            problems.append(f"Escort rule: {NOT_SET}.")
        elif sheet.escort_required and not entry.escort_present:
            problems.append("Discharge: escort not present.")
        if not entry.instructions_given:
            problems.append("Discharge instructions not given.")
    for label, schedule in (
        ("vital signs", sheet.vitals_due),
        ("sedation scores", sheet.sedation_due),
        ("dissociation scores", sheet.dissociation_due),
    ):
        if schedule.missed:
            spans = ", ".join(f"{low}-{high} min" for low, high in schedule.missed)
            notes.append(f"No {label} in the window(s) {spans} after the start.")
    return problems, notes
