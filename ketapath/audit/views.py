"""The clinic administrator's view of the access log."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketapath.accounts.policy import requires, user_clinic_id
from ketapath.audit.forms import AccessLogFilterForm
from ketapath.audit.models import AccessLog

PAGE_SIZE = 50


@requires("audit.access_log")
def access_log(request: HttpRequest) -> HttpResponse:
    rows = AccessLog.objects.filter(clinic_id=user_clinic_id(request)).select_related("user", "patient")
    form = AccessLogFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["mrn"]:
            rows = rows.filter(patient__mrn__iexact=data["mrn"].strip())
        if data["user"]:
            rows = rows.filter(user__username__icontains=data["user"].strip())
        if data["since"]:
            rows = rows.filter(accessed_at__date__gte=data["since"])
        if data["until"]:
            rows = rows.filter(accessed_at__date__lte=data["until"])
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/access_log.html", {"page": page, "form": form})
