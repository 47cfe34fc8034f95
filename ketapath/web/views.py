from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from ketapath.accounts.models import Role
from ketapath.accounts.policy import public, requires, signed_in_user
from ketapath.web.dashboards import staff_dashboard


@requires("dashboard.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    if signed_in_user(request).role == Role.PATIENT:
        return redirect("portal:home")
    return render(request, "web/dashboard.html", staff_dashboard(request.user))


@public
def health(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
