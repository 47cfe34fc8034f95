from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketapath.accounts.policy import requires
from ketapath.clinical.pharmacokinetics import PKInputError
from ketapath.pk.forms import PKForm
from ketapath.pk.preview import pk_preview

EXAMPLE = {  # Singh 2016's 0.5 mg/kg over 40 min for a 70 kg adult, as a starting point.
    "model_id": "domino-1984",
    "weight_kg": "70",
    "until_min": "240",
    "start_0": "0",
    "duration_0": "40",
    "dose_0": "35",
}


@requires("pk.simulate")
def pk_page(request: HttpRequest) -> HttpResponse:
    form = PKForm(request.GET or EXAMPLE)
    preview = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            preview = pk_preview(data["model_id"], data["patient"], data["steps"], data["until_min"])
        except PKInputError as exc:
            form.add_error(None, f"{str(exc).capitalize()}.")
    return render(request, "pk/page.html", {"form": form, "preview": preview})
