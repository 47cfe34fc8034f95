"""The clinic's tips for patients: staff read them; clinicians customise and edit them."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketapath.accounts.policy import allowed, requires, user_clinic, user_clinic_id
from ketapath.portal.actions import save_tip
from ketapath.portal.forms import TipForm
from ketapath.portal.models import Tip
from ketapath.portal.tips import customise, tips_for


@requires("tips.view")
def tip_list(request: HttpRequest) -> HttpResponse:
    clinic = user_clinic(request)
    items, customised = tips_for(clinic.pk, published_only=False)
    return render(
        request,
        "portal/tip_list.html",
        {"tips": items, "customised": customised, "can_edit": allowed(request.user, "tips.edit")},
    )


@require_POST
@requires("tips.edit")
def customise_tips(request: HttpRequest) -> HttpResponse:
    created = customise(user_clinic(request), request.user)
    messages.success(
        request, f"The clinic now has its own copy of the tips ({created} added). Edit them below."
    )
    return redirect("clinic_tips:list")


@requires("tips.edit")
def tip_edit(request: HttpRequest, tip_id: int) -> HttpResponse:
    tip = Tip.objects.filter(pk=tip_id, clinic_id=user_clinic_id(request)).first()
    if tip is None:
        raise Http404("No such tip in your clinic.")
    form = TipForm(request.POST or None, instance=tip)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        save_tip(tip, request.user, title=d["title"], body=d["body"], published=d["published"])
        messages.success(request, "Tip saved.")
        return redirect("clinic_tips:list")
    return render(request, "portal/tip_edit.html", {"tip": tip, "form": form})
