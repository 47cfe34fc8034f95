"""What is due now on a session, in the order a nurse works: the flowsheet's top card.

:func:`next_step` reads a :class:`~ketapath.infusions.flowsheet.Flowsheet` and names the one
thing to do next (the checklist, the baseline vital signs, the prescriber's decision, the start,
an observation round, the stop, the discharge scores, the discharge, the signature), with the
form that does it; :func:`later` lists what is not yet due and from when. Nothing here writes:
the flowsheet page draws the step's form at the top, and every other entry stays one click away.

An observation round is one row: the vital signs with the scales that are due at the same time
(sedation and dissociation during the infusion; the discharge-readiness scales once the
required observation after the stop has passed), saved together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ketapath.clinical.instruments import with_purpose
from ketapath.infusions.flowsheet import (
    INSTRUMENT_PURPOSES,
    Due,
    Flowsheet,
    discharge_score_ids,
)
from ketapath.infusions.models import ScorePurpose, SessionStatus


@dataclass(frozen=True)
class Step:
    """The next thing to do. ``form``: which form the card draws (None: nothing to enter here,
    ``detail`` says why or what happens next)."""

    key: str
    title: str
    form: str | None = None
    detail: tuple[str, ...] = ()
    #: An observation round: whether it asks for the vital signs, and the scales it includes.
    vitals: bool = False
    scales: tuple[str, ...] = ()
    #: The pump event the event form starts from ("start", "stop").
    event_kind: str = ""

    @property
    def signature(self) -> str:
        """What the card shows, in one word: the live update redraws the card when it changes."""
        parts = [self.key, self.form or "", "v" if self.vitals else "", *self.scales, self.event_kind]
        return ":".join(parts)


@dataclass(frozen=True)
class Later:
    """Not yet due: from ``at`` (drawn in the clinic's time), or after what ``after`` names."""

    label: str
    at: datetime | None = None
    after: str = ""


@dataclass(frozen=True)
class DueNow:
    step: Step
    later: list[Later] = field(default_factory=list)


def first_scale(purpose: ScorePurpose) -> str | None:
    """The scale a round offers for ``purpose``: the first its data files declare (the others stay
    under "Record a score")."""
    scales = with_purpose(INSTRUMENT_PURPOSES[purpose])
    return scales[0].id if scales else None


def discharge_scores_from(sheet: Flowsheet) -> datetime | None:
    """When the discharge-readiness scores become due: the stop plus the required observation."""
    stop = sheet.delivery.stopped_at
    if stop is None or sheet.min_observation_min is None:
        return None
    return stop + timedelta(minutes=sheet.min_observation_min)


def round_step(sheet: Flowsheet, title: str) -> Step | None:
    """The round due now (vitals and the scales due with them), or None."""
    scales: list[str] = []
    for purpose, schedule in (
        (ScorePurpose.SEDATION, sheet.sedation_due),
        (ScorePurpose.DISSOCIATION, sheet.dissociation_due),
    ):
        if schedule.due_now and (scale := first_scale(purpose)) is not None:
            scales.append(scale)
    if sheet.delivery.stopped_at is not None and not sheet.discharge.ready:
        ready_from = discharge_scores_from(sheet)
        if ready_from is not None and sheet.now >= ready_from:
            scales += list(discharge_score_ids())
    if not sheet.vitals_due.due_now and not scales:
        return None
    # The round always offers the vital signs: a scale due alone is scored with a set of vitals
    # (one row, one save), which the nurse may leave empty.
    named = ["vital signs", *(scale_label(s) for s in scales)]
    return Step("round", f"{title}: " + ", ".join(named), "round", vitals=True, scales=tuple(scales))


def scale_label(scale_id: str) -> str:
    for purpose in INSTRUMENT_PURPOSES:
        for instrument in with_purpose(INSTRUMENT_PURPOSES[purpose]):
            if instrument.id == scale_id:
                return instrument.name
    return scale_id


def next_step(sheet: Flowsheet, *, can_chart: bool, can_decide: bool, can_cosign: bool) -> Step:
    session = sheet.session
    if sheet.locked:
        if session.is_cosigned:
            return Step("done", "The session is signed and co-signed.")
        if can_cosign:
            return Step("cosign", "Co-sign the session", "cosign")
        return Step("cosign-wait", "Signed: a prescriber co-signs it next.")
    if sheet.status in (SessionStatus.NOT_GIVEN, SessionStatus.DISCHARGED):
        problems = tuple(sheet.sign_problems)
        if problems:
            return Step("sign-blocked", "Before signing", None, problems)
        return Step("sign", "Sign the session", "sign" if can_chart else None)
    if not can_chart:
        return Step("view", "Charting is for the nurses and prescribers of the clinic.")
    delivery = sheet.delivery
    review = sheet.prechecks
    if delivery.started_at is None:
        if review.settings_missing:
            return Step("blocked", "The clinic's safety settings are missing", None, tuple(review.blocking))
        if review.precheck is None or review.checklist_missing:
            missing = tuple(review.checklist_missing)
            return Step("precheck", "Record the pre-infusion checklist", "precheck", missing)
        if review.baseline_missing:
            missing = tuple(review.baseline_missing)
            return Step("baseline", "Record the baseline vital signs", "round", missing, vitals=True)
        if review.declined:
            return Step("declined", "The prescriber decided not to give the infusion today.", None)
        if review.decision_needed:
            detail = tuple(i.text for i in review.issues)
            if can_decide:
                return Step("decision", "Record the prescriber's decision", "decision", detail)
            return Step("decision-wait", "Waiting for a prescriber's decision", None, detail)
        if review.missing:
            return Step("blocked", "Not ready to start", None, tuple(review.missing))
        return Step("start", "Start the infusion", "event", event_kind="start")
    if delivery.stopped_at is None:
        if delivery.planned_end_reached:
            return Step("stop", "Planned duration reached: stop the pump", "event", event_kind="stop")
        return round_step(sheet, "Due now") or Step("wait", "Nothing due now", None)
    if sheet.status == SessionStatus.READY:
        discharge = Step("discharge", "Record the discharge", "discharge")
        return round_step(sheet, "Due before discharge") or discharge
    return round_step(sheet, "Due now") or Step("wait", "Nothing due now: observation", None)


def later(sheet: Flowsheet) -> list[Later]:
    """What is not due yet, and from when (never "done" for what has not started)."""
    if sheet.locked or sheet.discharged_at is not None or sheet.session.not_given_reason:
        return []
    items: list[Later] = []
    started = sheet.delivery.started_at is not None
    schedules: list[Due] = [sheet.vitals_due, sheet.sedation_due, sheet.dissociation_due]
    for schedule in schedules:
        if schedule.due_now:
            continue
        if schedule.next_at is not None:
            items.append(Later(schedule.label, schedule.next_at))
        elif not started:
            items.append(Later(schedule.label, after="the start of the infusion"))
    stop = sheet.delivery.stopped_at
    ready_from = discharge_scores_from(sheet)
    if stop is None:
        items.append(Later("Discharge scores", after="the stop and the observation time"))
    elif ready_from is not None and sheet.now < ready_from:
        items.append(Later("Discharge scores", ready_from))
    return items


def due_now(sheet: Flowsheet, *, can_chart: bool, can_decide: bool, can_cosign: bool) -> DueNow:
    step = next_step(sheet, can_chart=can_chart, can_decide=can_decide, can_cosign=can_cosign)
    return DueNow(step, later(sheet))
