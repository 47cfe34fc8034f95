"""The clinic settings follow-up, preparation and reminders read (none has a default).

No source read gives the days after a session when questionnaires are due, the weeks of follow-up
after a course, an interval for bladder-symptom screening (the fact sheet: "no retrieved guideline
specifies urinalysis or a urinary-symptom screen interval") or a fasting rule specific to ketamine
infusions: each is the clinic's choice. Until it is made, the schedule leaves that part out and
every page says "clinic setting not set"; nothing becomes a number by default. The fasting rule
set for the preparation instructions is the infusion flowsheet's own setting (``fasting.ruleset``),
so the patient is told what the nurse will check.

:func:`setting_specs` is the provider the clinic-settings registry lists; :func:`follow_up_settings`
reads a clinic's stored values into the plain :class:`FollowUpSettings` the schedule uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ketapath.clinic_settings.specs import Spec
from ketapath.clinical.labs import lab_tests

GROUP = "Follow-up, patient preparation and reminders"

POST_SESSION_DAYS = "outcomes.post_session_days"
COURSE_WEEKS = (
    "outcomes.course_follow_up_1_weeks",
    "outcomes.course_follow_up_2_weeks",
    "outcomes.course_follow_up_3_weeks",
)
BLADDER_WEEKS = "outcomes.bladder_interval_weeks"
MISUSE_WEEKS = "outcomes.misuse_interval_weeks"
URINARY_RISE_POINTS = "outcomes.urinary_rise_points"
OVERDUE_DAYS = "outcomes.overdue_after_days"
LAB_GROUP = "Liver tests: the clinic laboratory's reference limits"


def lab_upper_key(test_id: str) -> str:
    """The clinic setting holding a lab test's upper reference limit."""
    return f"labs.{test_id}.upper_limit"


REMIND_DAYS_BEFORE = "reminders.session_days_before"
# Upper bounds of the ``days`` settings below (issue 13). Typing-error guards, no source: a
# questionnaire due more than a year after a session, overdue more than a year after its due date,
# or a session reminder more than 30 days ahead is nobody's intent.
MAX_POST_SESSION_DAYS = Decimal(365)
MAX_OVERDUE_DAYS = Decimal(365)
MAX_REMIND_DAYS_BEFORE = Decimal(30)
ORDINALS = ("First", "Second", "Third")


def setting_specs() -> tuple[Spec, ...]:
    specs = [
        Spec(
            POST_SESSION_DAYS,
            "days",
            "Post-session questionnaires are due this many days after each session",
            "days",
            maximum=MAX_POST_SESSION_DAYS,
            help="0 = the same day. A new session closes the open items of the one before. "
            "Leave empty for not set: no post-session questionnaires are scheduled.",
            group=GROUP,
        ),
    ]
    for key, ordinal in zip(COURSE_WEEKS, ORDINALS, strict=True):
        specs.append(
            Spec(
                key,
                "integer",
                f"{ordinal} follow-up after a course: weeks after the last session",
                "weeks",
                minimum=Decimal(1),
                maximum=Decimal(104),
                help="Counted from the most recent session; a later session (a booster) restarts the count. "
                "Leave empty to skip.",
                group=GROUP,
            )
        )
    specs += [
        Spec(
            BLADDER_WEEKS,
            "integer",
            "Bladder symptom score (ICSI/ICPI) every this many weeks, from the first session "
            "until one interval after the last",
            "weeks",
            minimum=Decimal(1),
            maximum=Decimal(52),
            help="No guideline read gives a urinary-symptom screening interval: this is clinic policy.",
            group=GROUP,
        ),
        Spec(
            MISUSE_WEEKS,
            "integer",
            "Misuse re-screening (AUDIT-C and DAST-10) every this many weeks, from the first session "
            "until one interval after the last",
            "weeks",
            minimum=Decimal(1),
            maximum=Decimal(104),
            help="No guideline read gives a re-screening interval: this is clinic policy. Not set: misuse "
            "re-screening is not scheduled, and the prescriber's dashboard says so.",
            group=GROUP,
        ),
        Spec(
            URINARY_RISE_POINTS,
            "integer",
            "A rise of this many points on the bladder symptom index is a worsening and raises an alert",
            "points",
            minimum=Decimal(1),
            maximum=Decimal(20),
            help="No cut-off or clinically important change for the ICSI was found in the sources read. "
            "Not set: a rise is shown on the review, not judged, and raises no alert.",
            group=GROUP,
        ),
        Spec(
            OVERDUE_DAYS,
            "days",
            "A follow-up questionnaire counts as overdue this many days after its due date",
            "days",
            maximum=MAX_OVERDUE_DAYS,
            help="Overdue items are listed on the nurses' dashboard. Not set: overdue from the day after.",
            group=GROUP,
        ),
        Spec(
            REMIND_DAYS_BEFORE,
            "days",
            "E-mail a session reminder with the preparation instructions this many days before",
            "days",
            maximum=MAX_REMIND_DAYS_BEFORE,
            help="0 = on the morning of the session. Not set: no session reminders are sent.",
            group=GROUP,
        ),
    ]

    for test in lab_tests():
        specs.append(
            Spec(
                lab_upper_key(test.id),
                "decimal",
                f"{test.label}: upper reference limit",
                test.unit,
                minimum=test.entry_min,
                maximum=test.entry_max,
                group=LAB_GROUP,
                help="Your laboratory's own upper reference limit. A result above it raises an alert. "
                'Not set: results are shown as "reference range not set", never as normal.',
            )
        )
    return tuple(specs)


@dataclass(frozen=True)
class FollowUpSettings:
    """The schedule's clinic settings as plain values; None = not set."""

    post_session_days: int | None = None
    course_weeks: tuple[int, ...] = ()
    bladder_interval_weeks: int | None = None
    overdue_after_days: int | None = None
    misuse_interval_weeks: int | None = None
    urinary_rise_points: int | None = None


def _int(values: Mapping[str, Any], key: str) -> int | None:
    value = values.get(key)
    return None if value is None else int(value)


def follow_up_settings(values: Mapping[str, Any]) -> FollowUpSettings:
    """From ``clinic_settings.values.values_for(clinic_id)``: the follow-up settings.

    >>> s = follow_up_settings({COURSE_WEEKS[0]: 4, COURSE_WEEKS[1]: 1})
    >>> s.course_weeks, s.post_session_days
    ((1, 4), None)
    """
    weeks = sorted({w for w in (_int(values, k) for k in COURSE_WEEKS) if w is not None})
    return FollowUpSettings(
        post_session_days=_int(values, POST_SESSION_DAYS),
        course_weeks=tuple(weeks),
        bladder_interval_weeks=_int(values, BLADDER_WEEKS),
        overdue_after_days=_int(values, OVERDUE_DAYS),
        misuse_interval_weeks=_int(values, MISUSE_WEEKS),
        urinary_rise_points=_int(values, URINARY_RISE_POINTS),
    )


def lab_upper_limits(values: Mapping[str, Any]) -> dict[str, Decimal | None]:
    """Lab test id -> the clinic's upper reference limit (None: not set)."""
    found: dict[str, Decimal | None] = {}
    for test in lab_tests():
        raw = values.get(lab_upper_key(test.id))
        found[test.id] = None if raw is None else Decimal(str(raw))
    return found
