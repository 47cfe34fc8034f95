"""Sign-in, sign-out and the signed-in user's own account page."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketapath.accounts import two_factor
from ketapath.accounts.policy import public, requires, signed_in_user

login_view = public(auth_views.LoginView.as_view(redirect_authenticated_user=True))
logout_view = public(auth_views.LogoutView.as_view())


@requires("account.view")
def account(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    enrolled = two_factor.has_second_factor(user)
    context = {
        "has_second_factor": enrolled,
        "recovery_left": two_factor.recovery_codes_left(user) if enrolled else 0,
    }
    return render(request, "accounts/account.html", context)
