"""The patient's home page: their next steps on the pathway."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketapath.accounts.policy import requires
from ketapath.portal.access import own_patient
from ketapath.portal.steps import next_steps


@requires("portal.view")
def home(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request)
    return render(request, "portal/home.html", {"patient": patient, "steps": next_steps(patient)})
