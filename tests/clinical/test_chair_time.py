"""The chair-time rules (ketapath.clinical.chair_time): opening hours, closed days, a chair or a
nurse booked twice, the gap kept free, the daylight-saving change, the nearest open day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from ketapath.clinical.chair_time import (
    Booking,
    Opening,
    first_free,
    open_day_near,
    shift_wall,
    slot_problems,
    wall_start,
)

LONDON = ZoneInfo("Europe/London")
WEEKDAYS = {d: Opening(time(8), time(18)) for d in range(5)}  # Monday to Friday, 08:00-18:00
MONDAY = date(2026, 3, 23)  # the clocks go forward on Sunday 29 March 2026 in London
NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
GAP = timedelta(minutes=15)


def problems(start, minutes=120, *, chair=1, nurse=None, bookings=(), now=NOW, patient=None):
    return slot_problems(
        start,
        minutes,
        zone=LONDON,
        hours=WEEKDAYS,
        chair=chair,
        nurse=nurse,
        bookings=bookings,
        gap=GAP,
        now=now,
        patient=patient,
    )


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return wall_start(day, time(hour, minute), LONDON)


def test_a_slot_within_the_hours_of_an_open_day_fits():
    assert problems(at(MONDAY, 9)) == []
    assert problems(at(MONDAY, 16)) == []  # ends at 18:00 exactly


def test_outside_the_hours_closed_days_and_the_past_are_refused_with_the_hours():
    (late,) = problems(at(MONDAY, 16, 30))
    assert late.field == "starts_at" and "16:30 to 18:30 is outside the opening hours" in late.message
    assert "open from 08:00 to 18:00" in late.message
    (early,) = problems(at(MONDAY, 7, 45))
    assert "outside the opening hours" in early.message
    (saturday,) = problems(at(MONDAY + timedelta(days=5), 10))
    assert saturday.message == "The clinic is closed on Saturdays."
    (past,) = problems(at(MONDAY, 9), now=at(MONDAY, 10))
    assert past.message.startswith("That time has passed")
    (no_chair,) = problems(at(MONDAY, 9), chair=None)
    assert no_chair.field == "chair"


def test_a_chair_is_not_booked_twice_and_the_gap_is_kept():
    held = Booking(
        at(MONDAY, 9), at(MONDAY, 11), chair=1, nurse=7, key=5, label="Sam Tide (treatment session)"
    )
    (clash,) = problems(at(MONDAY, 10), bookings=[held])
    assert clash.field == "chair"
    assert clash.message.startswith("The chair is taken from 09:00 to 11:00 by Sam Tide (treatment session)")
    # Within the gap after it: refused; after the gap: free; another chair: free.
    assert problems(at(MONDAY, 11, 10), bookings=[held])
    assert problems(at(MONDAY, 11, 15), bookings=[held]) == []
    assert problems(at(MONDAY, 10), chair=2, bookings=[held]) == []
    # The booking being moved does not clash with itself.
    assert (
        slot_problems(
            at(MONDAY, 10),
            120,
            zone=LONDON,
            hours=WEEKDAYS,
            chair=1,
            nurse=None,
            bookings=[held],
            gap=GAP,
            now=NOW,
            ignore=frozenset({5}),
        )
        == []
    )


def test_a_nurse_is_not_booked_in_two_places():
    held = Booking(at(MONDAY, 9), at(MONDAY, 11), chair=1, nurse=7, label="Sam Tide (treatment session)")
    (clash,) = problems(at(MONDAY, 10), chair=2, nurse=7, bookings=[held])
    assert clash.field == "nurse" and "09:00 to 11:00" in clash.message
    assert problems(at(MONDAY, 11), chair=2, nurse=7, bookings=[held]) == []


def test_the_daylight_saving_change_does_not_move_a_wall_clock_time():
    before, after = at(MONDAY, 9), at(MONDAY + timedelta(days=7), 9)
    assert before.hour == 9 and after.hour == 8  # in UTC: 09:00 GMT, then 09:00 BST
    assert after.astimezone(LONDON).hour == 9
    # A course moved by a week keeps its wall-clock time across the change.
    assert shift_wall(before, LONDON, days=7) == after
    assert shift_wall(after, LONDON, days=-7, minutes=30).astimezone(LONDON).time() == time(9, 30)


def test_the_first_free_place_skips_taken_chairs_and_respects_a_preferred_time():
    held = [
        Booking(at(MONDAY, 8), at(MONDAY, 10), chair=1, nurse=None),
        Booking(at(MONDAY, 8), at(MONDAY, 12), chair=2, nurse=None),
    ]
    found = first_free(
        MONDAY, 120, zone=LONDON, hours=WEEKDAYS, chairs=[1, 2], bookings=held, gap=GAP, now=NOW
    )
    assert found == (at(MONDAY, 10, 15), 1)
    later = first_free(
        MONDAY,
        120,
        zone=LONDON,
        hours=WEEKDAYS,
        chairs=[1, 2],
        bookings=held,
        gap=GAP,
        now=NOW,
        prefer=time(13),
    )
    assert later == (at(MONDAY, 13), 1)
    saturday = MONDAY + timedelta(days=5)
    assert (
        first_free(saturday, 60, zone=LONDON, hours=WEEKDAYS, chairs=[1], bookings=[], gap=GAP, now=NOW)
        is None
    )
    assert (
        first_free(MONDAY, 660, zone=LONDON, hours=WEEKDAYS, chairs=[1], bookings=[], gap=GAP, now=NOW)
        is None
    )


def test_a_closed_days_session_moves_to_the_nearest_open_day_in_the_courses_order():
    saturday, sunday = MONDAY + timedelta(days=5), MONDAY + timedelta(days=6)
    next_monday = MONDAY + timedelta(days=7)
    friday = MONDAY + timedelta(days=4)
    assert open_day_near(saturday, WEEKDAYS, earliest=MONDAY, before=None) == friday  # the nearest
    assert open_day_near(sunday, WEEKDAYS, earliest=MONDAY, before=None) == next_monday
    # The next session is on Monday: Friday, before it, is taken instead; not before ``earliest``.
    assert open_day_near(sunday, WEEKDAYS, earliest=MONDAY, before=next_monday) == friday
    assert open_day_near(saturday, WEEKDAYS, earliest=saturday, before=None) == next_monday
    assert open_day_near(MONDAY, WEEKDAYS, earliest=MONDAY, before=None) == MONDAY
    assert open_day_near(saturday, {}, earliest=MONDAY, before=None) is None


@given(
    day=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    hour=st.integers(min_value=0, max_value=23),
    minute=st.sampled_from([0, 15, 30, 45]),
    zone=st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney", "UTC"]),
)
def test_a_wall_clock_start_reads_back_as_the_same_wall_clock_time(day, hour, minute, zone):
    tz = ZoneInfo(zone)
    start = wall_start(day, time(hour, minute), tz)
    back = start.astimezone(tz)
    if back.date() == day and back.time() == time(hour, minute):
        return
    # Only a time the clocks skip (the spring gap) reads back differently: an hour later.
    assert back.replace(tzinfo=None) - datetime.combine(day, time(hour, minute)) == timedelta(hours=1)


def test_a_patient_is_not_booked_in_two_places_at_once():
    held = Booking(at(MONDAY, 9), at(MONDAY, 11), chair=1, nurse=None, label="consultation", patient=3)
    (clash,) = problems(at(MONDAY, 10), chair=2, bookings=[held], patient=3)
    assert (
        clash.field == "starts_at"
        and "The patient has another appointment from 09:00 to 11:00" in clash.message
    )
    assert problems(at(MONDAY, 10), chair=2, bookings=[held], patient=4) == []
    found = first_free(
        MONDAY,
        60,
        zone=LONDON,
        hours=WEEKDAYS,
        chairs=[2],
        bookings=[held],
        gap=GAP,
        now=NOW,
        patient=3,
        prefer=time(8, 30),
    )
    assert found == (at(MONDAY, 11), 2)  # not 08:30 (it would run into the consultation)
