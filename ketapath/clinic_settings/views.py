from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ketapath.accounts.policy import allowed, requires, user_clinic
from ketapath.clinic_settings.forms import ClinicSettingsForm, field_name
from ketapath.clinic_settings.readiness import (
    GATE_LABELS,
    first_infusion_missing,
    route_missing,
    route_name,
)
from ketapath.clinic_settings.registry import all_specs
from ketapath.clinic_settings.values import set_values, values_for


@requires("clinic.settings.view")
def settings_page(request: HttpRequest) -> HttpResponse:
    clinic = user_clinic(request)
    specs = all_specs()
    current = values_for(clinic.pk)
    can_edit = allowed(request.user, "clinic.settings.edit")
    initial = {field_name(k): str(v) for k, v in current.items()}
    form = ClinicSettingsForm(request.POST or None, specs=specs, initial=initial)
    if request.method == "POST":
        if not can_edit:
            messages.error(request, "Only a prescriber can change clinical settings.")
            return redirect("clinic_settings:page")
        if form.is_valid():
            changed = set_values(clinic, request.user, form.changes())
            messages.success(request, f"Saved ({len(changed)} changed)." if changed else "Nothing changed.")
            return redirect("clinic_settings:page")
    groups: dict[str, list[Any]] = {}
    for key, spec in specs.items():
        stops = ", ".join(dict.fromkeys(GATE_LABELS.get(g.partition("@")[0], g) for g in spec.gates))
        groups.setdefault(spec.group, []).append((form[field_name(key)], key in current, stops))
    missing = first_infusion_missing(clinic.pk, values=current)
    return render(
        request,
        "clinic_settings/page.html",
        {"form": form, "groups": groups, "can_edit": can_edit, "missing_count": len(missing)},
    )


@requires("clinic.readiness.view")
def readiness_page(request: HttpRequest) -> HttpResponse:
    """Every safety setting the clinic has not set yet, what each stops and where to set it."""
    clinic = user_clinic(request)
    current = values_for(clinic.pk)
    missing = first_infusion_missing(clinic.pk, values=current)
    listed = {m.key for m in missing}
    routes = []  # what a plan on another route needs besides what is listed above
    for route, items in route_missing(clinic.pk, values=current).items():
        extra = [m for m in items if m.key not in listed]
        if extra:
            routes.append({"route": route, "name": route_name(route), "missing": extra})
    groups: dict[str, list[Any]] = {}
    for item in missing:
        groups.setdefault(item.group, []).append(item)
    return render(
        request,
        "clinic_settings/readiness.html",
        {
            "clinic": clinic,
            "missing": missing,
            "groups": groups,
            "routes": routes,
            "can_set": allowed(request.user, "clinic.settings.view"),
        },
    )
