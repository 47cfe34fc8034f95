"""The follow-up schedule: which questionnaires fall due, keyed to treatment events.

Pure: plain dates and settings in, time points out (no Django). The web layer turns the points
that are due into questionnaire assignments (``ketapath.outcomes.followups``).

- **After each session**: the post-session set, ``post_session_days`` after the most recent
  session. A new session *resets* the schedule: the points of the session before are no longer
  part of it (open items are closed by the caller).
- **After a course**: the full set at each of the clinic's ``course_weeks`` after the most recent
  session, unless a further session is already planned on or before that day (the course goes
  on). A booster restarts the count.
- **Re-screening**: bladder symptoms every ``bladder_interval_weeks`` and misuse every
  ``misuse_interval_weeks`` from the first session, until one interval after the most recent one.
  The instruments are those whose data file lists the purpose (``urinary-rescreening``,
  ``misuse-rescreening``), never named here. Cognition is not re-screened: no cited cognition
  instrument is in the data.

Which instruments: pain NRS, PEG, PHQ-9, GAD-7 and PGIC for pain; PHQ-9, GAD-7 and PGIC for
depression and anxiety (the protocol's condition group); the union when it is not known. Any
part whose clinic setting is not set is left out and reported in ``not_set``.

>>> from datetime import date
>>> s = [SessionEvent("s1", date(2025, 3, 3), 1), SessionEvent("s2", date(2025, 3, 6), 2)]
>>> plan = follow_up_schedule(s, ScheduleSettings(1, (1, 4, 12), 8), frozenset({"pain"}))
>>> [(p.code, p.due_on.isoformat()) for p in plan.points]  # doctest: +NORMALIZE_WHITESPACE
[('post-session', '2025-03-07'), ('course-w1', '2025-03-13'), ('course-w4', '2025-04-03'),
 ('bladder-1', '2025-04-28'), ('course-w12', '2025-05-29')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from ketapath.outcomes.purposes import (
    ANXIETY,
    DEPRESSION,
    GLOBAL_CHANGE,
    MISUSE_PURPOSE,
    PAIN_INTENSITY,
    PAIN_INTERFERENCE,
    URINARY_PURPOSE,
)
from ketapath.outcomes.purposes import instruments_for as by_purpose

PAIN, MOOD = "pain", "mood"
# Each set by purpose (the instruments whose data file lists it), in the order shown.
POST_SESSION_SET: dict[str, tuple[str, ...]] = {
    PAIN: by_purpose(PAIN_INTENSITY),
    MOOD: by_purpose(DEPRESSION),
}
COURSE_SET: dict[str, tuple[str, ...]] = {
    PAIN: by_purpose(PAIN_INTENSITY, PAIN_INTERFERENCE, DEPRESSION, ANXIETY, GLOBAL_CHANGE),
    MOOD: by_purpose(DEPRESSION, ANXIETY, GLOBAL_CHANGE),
}


def purpose_instruments(purpose: str) -> tuple[str, ...]:
    """The ids of the instruments whose data file lists ``purpose``.

    >>> purpose_instruments(URINARY_PURPOSE)
    ('icsi-icpi',)
    """
    return by_purpose(purpose)


# A protocol's condition group -> which instrument set follows it.
GROUP_OF = {"chronic-pain": PAIN, "pain": PAIN, "depression": MOOD, "anxiety": MOOD, "mood": MOOD}


class Kind:
    POST_SESSION = "post-session"
    COURSE = "course"
    BLADDER = "bladder"
    MISUSE = "misuse"


RESCREENING_KINDS = (Kind.BLADDER, Kind.MISUSE)


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """A session that was held: a stable key, its date and its number in the course."""

    key: str
    on: date
    number: int | None = None


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    post_session_days: int | None = None
    course_weeks: tuple[int, ...] = ()
    bladder_interval_weeks: int | None = None
    misuse_interval_weeks: int | None = None


@dataclass(frozen=True, slots=True)
class FollowUpPoint:
    anchor: str  # the key of the session it counts from
    anchor_on: date
    kind: str
    code: str  # unique for its anchor
    label: str
    due_on: date
    instruments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Schedule:
    points: tuple[FollowUpPoint, ...]
    latest: SessionEvent | None
    not_set: tuple[str, ...]  # the parts left out because their clinic setting is not set

    def due(self, today: date) -> tuple[FollowUpPoint, ...]:
        return tuple(p for p in self.points if p.due_on <= today)

    def upcoming(self, today: date) -> tuple[FollowUpPoint, ...]:
        return tuple(p for p in self.points if p.due_on > today)


def groups_for(condition_groups: Sequence[str]) -> frozenset[str]:
    """Instrument groups for protocol condition groups; both when none is known.

    >>> sorted(groups_for(["depression"])), sorted(groups_for([]))
    (['mood'], ['mood', 'pain'])
    """
    found = frozenset(GROUP_OF[g] for g in condition_groups if g in GROUP_OF)
    return found or frozenset({PAIN, MOOD})


def instruments_for(table: dict[str, tuple[str, ...]], groups: frozenset[str]) -> tuple[str, ...]:
    ordered: dict[str, None] = {}
    for group in (PAIN, MOOD):
        if group in groups:
            ordered |= dict.fromkeys(table[group])
    return tuple(ordered)


def _session_label(session: SessionEvent) -> str:
    number = f" {session.number}" if session.number else ""
    return f"session{number} on {session.on:%d %b %Y}"


def follow_up_schedule(
    sessions: Sequence[SessionEvent],
    settings: ScheduleSettings,
    groups: frozenset[str],
    *,
    next_planned_on: date | None = None,
) -> Schedule:
    """Every follow-up point of the current schedule (due or not), by due date.

    ``sessions`` are the sessions held (any order); ``next_planned_on`` the date of the next
    session planned after the most recent one, if any (course points on or after it are not
    part of the schedule: the course is not over).
    """
    not_set = []
    if settings.post_session_days is None:
        not_set.append("days after a session for the post-session questionnaires")
    if not settings.course_weeks:
        not_set.append("weeks of follow-up after a course")
    if settings.bladder_interval_weeks is None:
        not_set.append("interval of the bladder symptom score")
    if settings.misuse_interval_weeks is None:
        not_set.append("interval of misuse re-screening")
    held = sorted(sessions, key=lambda s: (s.on, s.number or 0, s.key))
    if not held:
        return Schedule((), None, tuple(not_set))
    first, latest = held[0], held[-1]
    points: list[FollowUpPoint] = []
    if settings.post_session_days is not None:
        points.append(
            FollowUpPoint(
                latest.key,
                latest.on,
                Kind.POST_SESSION,
                "post-session",
                f"After {_session_label(latest)}",
                latest.on + timedelta(days=settings.post_session_days),
                instruments_for(POST_SESSION_SET, groups),
            )
        )
    for weeks in sorted(set(settings.course_weeks)):
        due = latest.on + timedelta(weeks=weeks)
        if next_planned_on is not None and next_planned_on <= due:
            continue
        points.append(
            FollowUpPoint(
                latest.key,
                latest.on,
                Kind.COURSE,
                f"course-w{weeks}",
                f"Week {weeks} after {_session_label(latest)}",
                due,
                instruments_for(COURSE_SET, groups),
            )
        )
    points += _interval_points(
        first,
        latest,
        settings.bladder_interval_weeks,
        Kind.BLADDER,
        "Bladder symptoms",
        purpose_instruments(URINARY_PURPOSE),
    )
    points += _interval_points(
        first,
        latest,
        settings.misuse_interval_weeks,
        Kind.MISUSE,
        "Misuse re-screening",
        purpose_instruments(MISUSE_PURPOSE),
    )
    points.sort(key=lambda p: (p.due_on, p.kind != Kind.POST_SESSION, p.code))
    return Schedule(tuple(points), latest, tuple(not_set))


def _interval_points(
    first: SessionEvent,
    latest: SessionEvent,
    interval: int | None,
    kind: str,
    label: str,
    instruments: tuple[str, ...],
) -> list[FollowUpPoint]:
    """Every ``interval`` weeks from the first session until one interval after the latest."""
    if not interval or not instruments:
        return []
    points = []
    until = latest.on + timedelta(weeks=interval)
    n = 1
    while first.on + timedelta(weeks=interval * n) <= until:
        points.append(
            FollowUpPoint(
                first.key,
                first.on,
                kind,
                f"{kind}-{n}",
                f"{label}, week {interval * n} after the first session",
                first.on + timedelta(weeks=interval * n),
                instruments,
            )
        )
        n += 1
    return points


def points_to_assign(schedule: Schedule, today: date) -> tuple[FollowUpPoint, ...]:
    """The due points to turn into assignments: of each kind only the most recent one due, so a
    schedule that starts late does not hand the patient every missed time point at once.

    >>> from datetime import date
    >>> s = [SessionEvent("s1", date(2025, 1, 1), 1)]
    >>> plan = follow_up_schedule(s, ScheduleSettings(None, (1, 4, 12), None), frozenset({"mood"}))
    >>> [p.code for p in points_to_assign(plan, date(2025, 2, 15))]
    ['course-w4']
    """
    latest: dict[str, FollowUpPoint] = {}
    for point in schedule.due(today):
        latest[point.kind] = point  # points are in due-date order
    return tuple(sorted(latest.values(), key=lambda p: (p.due_on, p.code)))
