from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ketapath.accounts.policy import allowed, requires
from ketapath.clinic_settings.forms import ClinicSettingsForm, field_name
from ketapath.clinic_settings.registry import all_specs
from ketapath.clinic_settings.values import set_values, values_for


@requires("clinic.settings.view")
def settings_page(request: HttpRequest) -> HttpResponse:
    clinic = request.user.clinic  # type: ignore[union-attr]
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
    groups: dict[str, list] = {}
    for key, spec in specs.items():
        groups.setdefault(spec.group, []).append((form[field_name(key)], key in current))
    return render(
        request, "clinic_settings/page.html", {"form": form, "groups": groups, "can_edit": can_edit}
    )
