"""The clinic's calendar settings (``/clinic/calendar/``): its time zone, its opening hours on each
day of the week, and its chairs or rooms.

Each change goes through its action (``appointments.actions``), which writes it to history with who
made it. Bad input gets its message at its field and saves nothing: the page is drawn again with
what was typed.
"""

from __future__ import annotations

from datetime import time
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ketapath.accounts.models import Clinic
from ketapath.accounts.policy import requires, signed_in_user, user_clinic
from ketapath.appointments import actions
from ketapath.appointments.actions import AppointmentRefused
from ketapath.appointments.models import NAME_MAX, Chair, Weekday
from ketapath.appointments.queries import chairs_of, opening_hours_of

#: Every IANA zone name this server knows, offered in a list (typing one is error-prone).
ZONE_CHOICES = [("", "The server's time zone"), *((z, z) for z in sorted(available_timezones()))]


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=ZONE_CHOICES,
        required=False,
        help_text=(
            "Every time is shown in this zone (for example Europe/London). "
            "Appointments keep their clock time when it changes."
        ),
    )


class OpeningHoursForm(forms.Form):
    """One row per day of the week: open or closed, and when."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for weekday, name in Weekday.choices:
            self.fields[f"open_{weekday}"] = forms.BooleanField(label=f"Open on {name}", required=False)
            self.fields[f"opens_{weekday}"] = forms.TimeField(
                label=f"{name}: opens", required=False, widget=forms.TimeInput(attrs={"type": "time"})
            )
            self.fields[f"closes_{weekday}"] = forms.TimeField(
                label=f"{name}: closes", required=False, widget=forms.TimeInput(attrs={"type": "time"})
            )

    def days(self) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "open": self[f"open_{weekday}"],
                "opens": self[f"opens_{weekday}"],
                "closes": self[f"closes_{weekday}"],
            }
            for weekday, name in Weekday.choices
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hours: dict[int, tuple[time, time] | None] = {}
        for weekday, name in Weekday.choices:
            if not data.get(f"open_{weekday}"):
                hours[weekday] = None
                continue
            opens, closes = data.get(f"opens_{weekday}"), data.get(f"closes_{weekday}")
            if opens is None and f"opens_{weekday}" not in self.errors:
                self.add_error(f"opens_{weekday}", f"Give the time the clinic opens on {name}.")
            if closes is None and f"closes_{weekday}" not in self.errors:
                self.add_error(f"closes_{weekday}", f"Give the time the clinic closes on {name}.")
            if opens is not None and closes is not None:
                if closes <= opens:
                    self.add_error(f"closes_{weekday}", f"On {name} the clinic must close after it opens.")
                else:
                    hours[weekday] = (opens, closes)
        data["hours"] = hours
        return data


class ChairForm(forms.Form):
    name = forms.CharField(label="Name of the chair or room", max_length=NAME_MAX)


def _hours_initial(clinic: Clinic) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for row in opening_hours_of(clinic.pk):
        initial[f"open_{row.weekday}"] = True
        initial[f"opens_{row.weekday}"] = row.opens.strftime("%H:%M")
        initial[f"closes_{row.weekday}"] = row.closes.strftime("%H:%M")
    return initial


def _page(
    request: HttpRequest,
    *,
    zone_form: TimeZoneForm | None = None,
    hours_form: OpeningHoursForm | None = None,
    chair_form: ChairForm | None = None,
) -> HttpResponse:
    clinic = user_clinic(request)
    context = {
        "clinic": clinic,
        "zone_form": zone_form or TimeZoneForm(initial={"time_zone": clinic.time_zone}),
        "hours_form": hours_form or OpeningHoursForm(initial=_hours_initial(clinic)),
        "chair_form": chair_form or ChairForm(),
        "chairs": chairs_of(clinic.pk, active_only=False),
    }
    return render(request, "appointments/calendar_settings.html", context)


def _back() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("calendar_settings:page"))


@requires("calendar.settings")
def page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@requires("calendar.settings")
def time_zone(request: HttpRequest) -> HttpResponse:
    clinic = user_clinic(request)
    form = TimeZoneForm(request.POST)
    if not form.is_valid():
        return _page(request, zone_form=form)
    try:
        actions.set_time_zone(clinic, form.cleaned_data["time_zone"], by=signed_in_user(request))
    except AppointmentRefused as refused:
        form.add_error("time_zone", refused.message)
        return _page(request, zone_form=form)
    messages.success(request, "The clinic's time zone was saved.")
    return _back()


@require_POST
@requires("calendar.settings")
def opening_hours(request: HttpRequest) -> HttpResponse:
    clinic = user_clinic(request)
    form = OpeningHoursForm(request.POST)
    if not form.is_valid():
        return _page(request, hours_form=form)
    try:
        actions.set_opening_hours(clinic, form.cleaned_data["hours"], by=signed_in_user(request))
    except AppointmentRefused as refused:
        field = refused.field.replace("day_", "closes_") if refused.field.startswith("day_") else None
        form.add_error(field, refused.message)
        return _page(request, hours_form=form)
    messages.success(request, "The opening hours were saved.")
    return _back()


@require_POST
@requires("calendar.settings")
def add_chair(request: HttpRequest) -> HttpResponse:
    clinic = user_clinic(request)
    form = ChairForm(request.POST)
    if not form.is_valid():
        return _page(request, chair_form=form)
    try:
        chair = actions.add_chair(clinic, form.cleaned_data["name"], by=signed_in_user(request))
    except AppointmentRefused as refused:
        form.add_error("name" if refused.field == "name" else None, refused.message)
        return _page(request, chair_form=form)
    messages.success(request, f"{chair.name} was added.")
    return _back()


@require_POST
@requires("calendar.settings")
def chair_active(request: HttpRequest) -> HttpResponse:
    """Take a chair out of use or back into use (the chair's id is in the form; another clinic's
    chair is not found)."""
    clinic = user_clinic(request)
    chair_id = request.POST.get("chair", "")
    chair = Chair.objects.filter(pk=chair_id, clinic=clinic).first() if chair_id.isdigit() else None
    if chair is None:
        messages.error(request, "No such chair or room in your clinic.")
        return _back()
    active = request.POST.get("active") == "1"
    chair = actions.set_chair_active(chair, active, by=signed_in_user(request))
    messages.success(request, f"{chair.name} is {'back in use' if active else 'out of use'}.")
    return _back()
