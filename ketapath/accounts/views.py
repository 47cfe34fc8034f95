"""Sign-in, sign-out and the signed-in user's own account page."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketapath.accounts.policy import public, requires

login_view = public(auth_views.LoginView.as_view(redirect_authenticated_user=True))
logout_view = public(auth_views.LogoutView.as_view())


@requires("account.view")
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/account.html", {})
