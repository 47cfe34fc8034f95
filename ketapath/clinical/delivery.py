"""What an infusion actually delivered, from the pump events recorded on the flowsheet.

Events are timestamped: ``start`` at a rate, ``rate-change``, ``pause``, ``resume`` (optionally at a
new rate), ``bolus`` (a dose in mg) and ``stop``. :func:`summarise` turns an ordered list into
constant-rate segments, boluses, totals (mg and mg/kg), time infusing and time paused; an
impossible sequence (a rate change while paused, a resume without a pause, anything after stop)
is refused with a sentence saying which event is wrong. Times are minutes from the first event.
The segments convert to a PK regimen (:meth:`DeliverySummary.pk_steps`).

>>> from datetime import datetime
>>> t = lambda m: datetime(2025, 3, 3, 9, 0) + timedelta(minutes=m)
>>> events = [InfusionEvent(t(0), EventKind.START, rate_mg_per_h=Decimal(30)),
...           InfusionEvent(t(20), EventKind.PAUSE), InfusionEvent(t(30), EventKind.RESUME),
...           InfusionEvent(t(50), EventKind.STOP)]
>>> s = summarise(events, weight_kg=Decimal(60))
>>> s.total_mg, s.infusing_min, s.paused_min
(Decimal('20'), Decimal('40'), Decimal('10'))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from ketapath.clinical.dosing.session import SessionDose
from ketapath.clinical.pharmacokinetics.regimen import Step

MINUTES_PER_HOUR = Decimal(60)


class EventKind(StrEnum):
    START = "start"
    RATE_CHANGE = "rate-change"
    PAUSE = "pause"
    RESUME = "resume"
    BOLUS = "bolus"
    STOP = "stop"


class DeliveryError(ValueError):
    """The event list cannot have happened (out of order, or an event in the wrong state)."""


@dataclass(frozen=True, slots=True)
class InfusionEvent:
    at: datetime
    kind: EventKind
    rate_mg_per_h: Decimal | None = None
    dose_mg: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch at one rate."""

    start_min: Decimal
    duration_min: Decimal
    rate_mg_per_h: Decimal

    @property
    def dose_mg(self) -> Decimal:
        return self.rate_mg_per_h * self.duration_min / MINUTES_PER_HOUR


@dataclass(frozen=True, slots=True)
class Bolus:
    at_min: Decimal
    dose_mg: Decimal


@dataclass(frozen=True, slots=True)
class DeliverySummary:
    started_at: datetime
    segments: tuple[Segment, ...]
    boluses: tuple[Bolus, ...]
    weight_kg: Decimal
    infusing_min: Decimal
    paused_min: Decimal
    elapsed_min: Decimal
    stopped: bool  # False: summarised "so far" (as of a time), the pump still running or paused

    @property
    def infused_mg(self) -> Decimal:
        return sum((s.dose_mg for s in self.segments), Decimal(0))

    @property
    def bolus_mg(self) -> Decimal:
        return sum((b.dose_mg for b in self.boluses), Decimal(0))

    @property
    def total_mg(self) -> Decimal:
        return self.infused_mg + self.bolus_mg

    @property
    def total_mg_per_kg(self) -> Decimal:
        return self.total_mg / self.weight_kg

    def pk_steps(self, base_mg_per_stated_mg: Decimal = Decimal(1)) -> tuple[Step, ...]:
        """Segments and boluses as a PK regimen in mg of base (boluses have duration 0); pass
        the base-per-stated-mg factor when the bag is labelled as hydrochloride."""
        steps = [
            Step(float(s.start_min), float(s.duration_min), float(s.dose_mg * base_mg_per_stated_mg))
            for s in self.segments
        ]
        steps += [Step(float(b.at_min), 0.0, float(b.dose_mg * base_mg_per_stated_mg)) for b in self.boluses]
        return tuple(sorted(steps, key=lambda s: (s.start_min, s.duration_min)))


@dataclass(frozen=True, slots=True)
class PlanComparison:
    planned_mg: Decimal
    delivered_mg: Decimal
    planned_min: Decimal | None
    infusing_min: Decimal

    @property
    def difference_mg(self) -> Decimal:
        return self.delivered_mg - self.planned_mg

    @property
    def delivered_percent(self) -> Decimal:
        return self.delivered_mg * 100 / self.planned_mg


# The precision of a plan's stored session dose (plans.PlannedSession / TreatmentPlan decimals).
DOSE_PRECISION_MG = Decimal("0.001")


class Overrun(StrEnum):
    """How an infusion has gone past its plan (each one is raised as an alert once per session)."""

    DURATION = "duration-reached"  # still running at or past the planned infusing time
    DOSE = "dose-reached"  # still running with the planned dose delivered
    EXCESS = "dose-exceeded"  # more delivered than planned (running or stopped)


OVERRUN_TEXT = {
    Overrun.DURATION: "The infusion has reached its planned duration and is still running: stop it, or "
    "record why it continues",
    Overrun.DOSE: "The infusion has delivered its planned dose and is still running: stop it",
    Overrun.EXCESS: "More than the planned dose has been delivered",
}


def overruns(comparison: PlanComparison, *, running: bool) -> tuple[Overrun, ...]:
    """What the delivery has gone past: the planned infusing time or dose while the pump still
    runs, and any delivery above the planned dose. No tolerance: the plan's numbers are the limit.

    >>> c = PlanComparison(Decimal(35), Decimal(35), Decimal(40), Decimal(40))
    >>> [o.value for o in overruns(c, running=True)], overruns(c, running=False)
    (['duration-reached', 'dose-reached'], ())
    """
    found: list[Overrun] = []
    # The plan stores its dose to DOSE_PRECISION_MG; the delivered dose is compared at the same
    # precision, so a dose delivered exactly as planned is not "more than planned" by a rounding.
    delivered = comparison.delivered_mg.quantize(DOSE_PRECISION_MG, rounding=ROUND_HALF_EVEN)
    if running and comparison.planned_min is not None and comparison.infusing_min >= comparison.planned_min:
        found.append(Overrun.DURATION)
    if running and delivered >= comparison.planned_mg:
        found.append(Overrun.DOSE)
    if delivered > comparison.planned_mg:
        found.append(Overrun.EXCESS)
    return tuple(found)


def _minutes(delta: timedelta) -> Decimal:
    return Decimal(delta.days * 86400 + delta.seconds) / MINUTES_PER_HOUR + Decimal(
        delta.microseconds
    ) / Decimal(60_000_000)


def _rate(event: InfusionEvent, number: int, *, required: bool) -> Decimal | None:
    rate = event.rate_mg_per_h
    if rate is None:
        if required:
            raise DeliveryError(f"event {number} ({event.kind.value}) needs a rate in mg/h")
        return None
    if not rate.is_finite() or not rate > 0:
        raise DeliveryError(
            f"event {number} ({event.kind.value}): the rate must be more than 0 mg/h"
            " (record a pause instead of a rate of 0)"
        )
    return rate


def _close(segments: list[Segment], since: Decimal, until: Decimal, rate: Decimal | None) -> Decimal:
    """Append the running stretch [since, until) at ``rate``; return its length in minutes."""
    assert rate is not None
    if until <= since:
        return Decimal(0)
    segments.append(Segment(since, until - since, rate))
    return until - since


def summarise(
    events: Sequence[InfusionEvent], *, weight_kg: Decimal, as_of: datetime | None = None
) -> DeliverySummary:
    """Delivered segments, boluses and times from an ordered event list.

    An infusion not yet stopped is summarised up to ``as_of`` (required then).
    """
    if not weight_kg.is_finite() or not weight_kg > 0:
        raise DeliveryError("the weight must be more than 0 kg")
    if not events:
        raise DeliveryError("no events recorded")
    aware = {e.at.tzinfo is not None for e in events}
    if as_of is not None:
        aware.add(as_of.tzinfo is not None)
    if len(aware) > 1:
        raise DeliveryError("mix of times with and without a time zone")
    t0 = events[0].at
    state = "idle"  # idle -> running <-> paused -> stopped
    rate: Decimal | None = None
    since = Decimal(0)  # when the current running/paused stretch began (min)
    segments: list[Segment] = []
    boluses: list[Bolus] = []
    infusing = paused = Decimal(0)
    previous = t0
    for number, event in enumerate(events, start=1):
        if event.at < previous:
            raise DeliveryError(
                f"event {number} ({event.kind.value}) is earlier than event "
                f"{number - 1}: events must be in time order"
            )
        previous = event.at
        now = _minutes(event.at - t0)
        kind = event.kind
        if kind is not EventKind.BOLUS and event.dose_mg is not None:
            raise DeliveryError(f"event {number} ({kind.value}) cannot carry a bolus dose")
        if kind in (EventKind.PAUSE, EventKind.STOP, EventKind.BOLUS) and (event.rate_mg_per_h is not None):
            raise DeliveryError(f"event {number} ({kind.value}) cannot carry a rate")
        if state == "stopped":
            raise DeliveryError(f"event {number} ({kind.value}) comes after the stop")

        if kind is EventKind.START:
            if state != "idle":
                raise DeliveryError(f"event {number} (start): the infusion has already started")
            rate, since, state = _rate(event, number, required=True), now, "running"
        elif kind is EventKind.RATE_CHANGE:
            if state == "paused":
                raise DeliveryError(
                    f"event {number} (rate-change) while paused: record a resume (it can carry the new rate)"
                )
            if state != "running":
                raise DeliveryError(
                    f"event {number} (rate-change) while the infusion is stopped (not started)"
                )
            new = _rate(event, number, required=True)
            infusing += _close(segments, since, now, rate)
            rate, since = new, now
        elif kind is EventKind.PAUSE:
            if state != "running":
                what = "already paused" if state == "paused" else "not running"
                raise DeliveryError(f"event {number} (pause): the infusion is {what}")
            infusing += _close(segments, since, now, rate)
            since, state = now, "paused"
        elif kind is EventKind.RESUME:
            if state != "paused":
                raise DeliveryError(f"event {number} (resume) without a pause")
            paused += now - since
            new = _rate(event, number, required=False)
            rate = new if new is not None else rate
            since, state = now, "running"
        elif kind is EventKind.BOLUS:
            dose = event.dose_mg
            if dose is None or not dose.is_finite() or not dose > 0:
                raise DeliveryError(f"event {number} (bolus) needs a dose of more than 0 mg")
            boluses.append(Bolus(now, dose))
        else:  # stop
            if state == "idle":
                raise DeliveryError(f"event {number} (stop) before the infusion started")
            if state == "running":
                infusing += _close(segments, since, now, rate)
            else:
                paused += now - since
            state = "stopped"
    end = _minutes(previous - t0)
    if state in ("running", "paused"):
        if as_of is None:
            raise DeliveryError(
                "the infusion has not been stopped: give the time to summarise it up to (as_of)"
            )
        if as_of < previous:
            raise DeliveryError("as_of is earlier than the last event")
        end = _minutes(as_of - t0)
        if state == "running":
            infusing += _close(segments, since, end, rate)
        else:
            paused += end - since
    return DeliverySummary(
        started_at=t0,
        segments=tuple(segments),
        boluses=tuple(boluses),
        weight_kg=weight_kg,
        infusing_min=infusing,
        paused_min=paused,
        elapsed_min=end,
        stopped=state == "stopped",
    )


def compare_with_plan(summary: DeliverySummary, plan: SessionDose) -> PlanComparison:
    """Delivered against planned: mg, the difference and the percentage of the planned dose."""
    return PlanComparison(
        planned_mg=plan.dose_mg,
        delivered_mg=summary.total_mg,
        planned_min=plan.duration_min,
        infusing_min=summary.infusing_min,
    )
