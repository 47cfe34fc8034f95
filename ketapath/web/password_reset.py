"""Password reset by e-mail for staff and patients: Django's own views, rate-limited.

It lives here rather than in ``ketapath.accounts`` because it writes the user's history through
``ketapath.audit.history``, a layer above the accounts app (pyproject.toml's import contract).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any
from urllib.parse import urlsplit

from axes.helpers import get_client_ip_address
from axes.utils import reset as reset_lockout
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path

from ketapath.accounts.policy import public
from ketapath.audit.history import note_change

log = logging.getLogger(__name__)


# --- Password reset by e-mail ------------------------------------------------------------------
# Django's own views. Every request shows the same "check your e-mail" page, whether or not an
# account uses the address (Django sends nothing for an unknown address, an inactive user or one
# without a usable password). Requests are counted per address and per client address in the
# cache (``CACHES``); over either limit nothing is sent, the same page is shown and one line logged.


def _count(key: str, window: int) -> int:
    """Add one to a fixed-window counter in the cache and return the new count."""
    cache.add(key, 0, window)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, window)
        return 1


def reset_over_limit(email: str, ip: str | None) -> str | None:
    """Count this request; the name of the limit it goes over, or None when within both."""
    window = int(settings.KETAPATH_PASSWORD_RESET_WINDOW_SECONDS)
    address = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    counters = [
        ("per address", f"address:{address}", settings.KETAPATH_PASSWORD_RESET_PER_ADDRESS),
        ("per client address", f"ip:{ip or 'unknown'}", settings.KETAPATH_PASSWORD_RESET_PER_IP),
    ]
    # Both counters count every request (also one over the other limit).
    over = [name for name, key, limit in counters if _count(f"ketapath:password-reset:{key}", window) > limit]
    return over[0] if over else None


def _expiry_context() -> dict[str, Any]:
    minutes = max(1, int(settings.PASSWORD_RESET_TIMEOUT) // 60)
    return {"link_minutes": minutes}


class ResetRequestForm(PasswordResetForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Your e-mail address"


class RateLimitedPasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, rate-limited; the link in the e-mail starts at ``KETAPATH_SITE_URL``."""

    form_class = ResetRequestForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        ip = get_client_ip_address(self.request)
        over = reset_over_limit(form.cleaned_data["email"], ip)
        if over is not None:
            log.warning("Password reset request from %s over the limit (%s): no e-mail sent.", ip, over)
            return HttpResponseRedirect(self.get_success_url())
        site_url = str(settings.KETAPATH_SITE_URL).rstrip("/")
        # The link never takes its host from the request (a forged Host header).
        self.domain_override = urlsplit(site_url).netloc
        self.extra_email_context = {"site_url": site_url, **_expiry_context()}
        return super().form_valid(form)


class ResetSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), **_expiry_context()}


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    """Sets the new password (through ``AUTH_PASSWORD_VALIDATORS``); the user signs in again.

    The password hash changes, so every other session of the user ends (Django checks each
    session's hash in ``AuthenticationMiddleware``); a lock-out of the user name is lifted.
    """

    template_name = "accounts/password_reset_confirm.html"
    post_reset_login = False

    def form_valid(self, form: SetPasswordForm[Any]) -> HttpResponse:
        user = form.user
        note_change(user, "Password changed by reset", user)
        response = super().form_valid(form)
        reset_lockout(username=user.get_username())
        return response


class ResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


password_reset_view = public(RateLimitedPasswordResetView.as_view())
password_reset_done_view = public(ResetSentView.as_view())
password_reset_confirm_view = public(ResetConfirmView.as_view())
password_reset_complete_view = public(ResetCompleteView.as_view())


# Under /accounts/ (ketapath/urls.py), with the names Django's views reverse.
urlpatterns = [
    path("password-reset/", password_reset_view, name="password_reset"),
    path("password-reset/sent/", password_reset_done_view, name="password_reset_done"),
    path("reset/<uidb64>/<token>/", password_reset_confirm_view, name="password_reset_confirm"),
    path("reset/done/", password_reset_complete_view, name="password_reset_complete"),
]
