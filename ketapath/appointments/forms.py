"""The forms of a patient's appointments page. Each returns domain types: a chair, a member of staff
(or None), and an aware start time made from the clinic's wall clock on the appointment's date.

A time is typed as the clinic's local wall-clock time of its date and stored in UTC
(``datetime.combine(day, t, tzinfo=clinic.zone)``), so a daylight-saving change between booking
and the day does not move it. The field names of the start time, chair, nurse and reason are those
an ``AppointmentRefused`` names in ``field``, so a refusal lands at its field.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from django import forms

from ketapath.accounts.models import User
from ketapath.appointments.models import MAX_DURATION, MIN_DURATION, REASON_MAX, AppointmentKind, Chair

NO_CHAIR = "No chair"
NO_NURSE = "Not chosen yet"
KEEP_CHAIR = "Keep its chair (or none)"
TIME_FORMATS = ["%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p"]


class _Choices(forms.ChoiceField):
    """A select of records given once by the view (one query for all the page's forms); its
    cleaned value is the record itself, or None for the blank choice."""

    def __init__(self, records: Sequence[Any], *, blank: str | None, label_of: Any = str, **kwargs: Any):
        self.records = {str(r.pk): r for r in records}
        choices = [(key, label_of(r)) for key, r in self.records.items()]
        if blank is not None:
            choices = [("", blank), *choices]
        super().__init__(choices=choices, required=blank is None, **kwargs)

    def clean(self, value: Any) -> Any:
        key = super().clean(value)
        return self.records.get(key) if key else None


def _staff_name(user: User) -> str:
    return f"{user.display_name} ({user.get_role_display().lower()})"


def chair_field(
    chairs: Sequence[Chair], *, required: bool, label: str = "Chair", blank: str = NO_CHAIR
) -> _Choices:
    return _Choices(chairs, blank=None if required else blank, label=label)


def nurse_field(nurses: Sequence[User], label: str = "Nurse") -> _Choices:
    return _Choices(nurses, blank=NO_NURSE, label_of=_staff_name, label=label)


def time_field(label: str = "Start time") -> forms.TimeField:
    return forms.TimeField(
        label=label,
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="The clinic's local time.",
    )


def date_field(label: str = "Date") -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


def local_start(day: date, start: time, zone: Any) -> datetime:
    """The aware instant of the clinic's wall-clock ``start`` on ``day``."""
    return datetime.combine(day, start, tzinfo=zone)


class _Booking(forms.Form):
    """A form with a start (date and time), a chair and a nurse."""

    def __init__(
        self, *args: Any, zone: Any, chairs: Sequence[Chair], nurses: Sequence[User], **kwargs: Any
    ) -> None:
        self.zone = zone
        self.chairs = chairs
        self.nurses = nurses
        super().__init__(*args, **kwargs)

    def start_moment(self) -> datetime:
        """The aware start time (only after ``is_valid()``)."""
        return local_start(self.cleaned_data["day"], self.cleaned_data["starts_at"], self.zone)


class VisitForm(_Booking):
    """A consultation or a follow-up visit."""

    kind = forms.ChoiceField(
        label="Kind of visit",
        choices=[
            (AppointmentKind.CONSULTATION, AppointmentKind.CONSULTATION.label),
            (AppointmentKind.FOLLOW_UP, AppointmentKind.FOLLOW_UP.label),
        ],
    )
    day = date_field()
    starts_at = time_field()
    duration_min = forms.IntegerField(
        label="Length (minutes)", min_value=MIN_DURATION, max_value=MAX_DURATION, initial=30
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chair"] = chair_field(self.chairs, required=False, label="Chair or room")
        self.fields["nurse"] = nurse_field(self.nurses)


class CourseRowForm(forms.Form):
    """One proposed session of the plan's course (its date is the session's own)."""

    def __init__(self, *args: Any, chairs: Sequence[Chair], nurses: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["starts_at"] = time_field("Time")
        # A session left without a time stays unbooked (booked later, by hand).
        self.fields["starts_at"].required = False
        self.fields["chair"] = chair_field(chairs, required=False)
        self.fields["nurse"] = nurse_field(nurses)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_at") is not None and data.get("chair") is None:
            self.add_error("chair", "Choose a chair or room for this time.")
        return data


class RescheduleForm(_Booking):
    """A new date and time, chair and nurse for one appointment (and the rest of its course)."""

    day = date_field("New date")
    starts_at = time_field("New time")
    rest_of_course = forms.BooleanField(
        label="Move the rest of the course the same way",
        required=False,
        help_text="The later booked sessions of this plan move by the same number of days and minutes.",
    )

    def __init__(self, *args: Any, session: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A session keeps a chair; another visit may have none (blank keeps the one it has).
        self.fields["chair"] = chair_field(self.chairs, required=session, blank=KEEP_CHAIR)
        self.fields["nurse"] = nurse_field(self.nurses)
        if not session:
            del self.fields["rest_of_course"]


class CancelForm(forms.Form):
    status_reason = forms.CharField(
        label="Reason",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the appointment's history; the patient sees that it was cancelled.",
    )
    rest_of_course = forms.BooleanField(label="Cancel the rest of the course too", required=False)

    def __init__(self, *args: Any, session: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not session:
            del self.fields["rest_of_course"]


class PreferredTimeForm(forms.Form):
    """The wall-clock time the proposals should prefer (a GET field of the page)."""

    at = forms.TimeField(
        label="Preferred time",
        required=False,
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
