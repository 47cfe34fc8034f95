"""Two-factor sign-in pages: the code after the password, setting up an authenticator app, and
new recovery codes (django-otp's TOTP and static devices; the rules in
``ketapath.accounts.two_factor``).

They live here rather than in ``ketapath.accounts`` because they write the user's history through
``ketapath.audit.history``, a layer above the accounts app (pyproject.toml's import contract).
"""

from __future__ import annotations

import base64
import logging
from typing import Any

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketapath.accounts import two_factor
from ketapath.accounts.policy import requires, signed_in_user
from ketapath.audit.history import note_change

log = logging.getLogger(__name__)

WRONG_CODE = "That code is not right. Type the code your app shows now (it changes every 30 seconds)."


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=two_factor.CODE_MAX,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


def _next_url(request: HttpRequest) -> str:
    """Where to go once the step is done: the page asked for, if it is one of this site's."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure()):
        return wanted
    return reverse("dashboard")


def _throttled(user: Any) -> str | None:
    """A message when too many wrong codes make the app's next try wait (django-otp throttling)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return None
    allowed, details = device.verify_is_allowed()
    if allowed or not details or details.get("reason") != VerifyNotAllowed.N_FAILED_ATTEMPTS:
        return None
    return "Too many wrong codes: wait a few seconds, then type the code your app shows now."


@requires("account.view", second_factor=False)
def verify(request: HttpRequest) -> HttpResponse:
    """The code after the password: the authenticator app's, or one of the recovery codes."""
    user = signed_in_user(request)
    if two_factor.owed_step(request) != two_factor.VERIFY:
        return HttpResponseRedirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = two_factor.normalise_code(form.cleaned_data["code"])
        # Read before the try: a wrong code starts a wait, which is not what this try ran into.
        waiting = _throttled(user)
        device = two_factor.matching_device(user, code)
        if device is not None:
            django_otp.login(request, device)
            if isinstance(device, StaticDevice):
                left = two_factor.recovery_codes_left(user)
                note_change(user, f"Signed in with a recovery code ({left} left)", user).save()
                log.warning("User %s signed in with a recovery code (%d left).", user.pk, left)
            return HttpResponseRedirect(_next_url(request))
        form.add_error("code", waiting or WRONG_CODE + " Or type one of your recovery codes.")
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)})


def _qr_svg(text: str) -> str:
    """The QR code of ``text`` as an inline SVG (no image file, no script: the CSP allows it)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg: str = image.to_string(encoding="unicode")
    return svg.replace(
        "<svg ", '<svg class="qr" role="img" aria-label="QR code for your authenticator app" ', 1
    )


def _grouped_key(device: TOTPDevice) -> str:
    """The app's secret as typed into an app by hand: base32, in groups of four."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _show_codes(request: HttpRequest, codes: list[str], *, first: bool) -> HttpResponse:
    """The recovery codes, shown this once (the page is not kept by the browser: no-store)."""
    context = {"codes": [two_factor.shown(c) for c in codes], "first": first, "next": _next_url(request)}
    return render(request, "accounts/two_factor_codes.html", context)


@requires("account.view", second_factor=False)
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the key), then type its first code."""
    user = signed_in_user(request)
    if two_factor.has_second_factor(user):
        if two_factor.owed_step(request) == two_factor.VERIFY:
            return HttpResponseRedirect(f"{reverse('two_factor_verify')}?next={reverse('account')}")
        return HttpResponseRedirect(reverse("account"))
    device = two_factor.pending_app(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(two_factor.normalise_code(form.cleaned_data["code"])):
            codes = two_factor.confirm_app(user, device)
            django_otp.login(request, device)
            note_change(user, "Second factor set up: authenticator app and recovery codes", user).save()
            return _show_codes(request, codes, first=True)
        form.add_error("code", WRONG_CODE)
    context = {
        "form": form,
        "qr": mark_safe(_qr_svg(device.config_url)),  # noqa: S308  (our own SVG, no user text in it)
        "key": _grouped_key(device),
        "required": two_factor.must_enrol(user),
        "next": _next_url(request),
    }
    return render(request, "accounts/two_factor_enrol.html", context)


@requires("account.view")
def new_recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working), shown once. POST only."""
    user = signed_in_user(request)
    if request.method != "POST" or not two_factor.has_second_factor(user):
        return HttpResponseRedirect(reverse("account"))
    codes = two_factor.replace_recovery_codes(user)
    note_change(user, "New recovery codes made (the old ones no longer work)", user).save()
    return _show_codes(request, codes, first=False)


# Under /accounts/ (ketapath/urls.py).
urlpatterns = [
    path("two-factor/", verify, name="two_factor_verify"),
    path("two-factor/set-up/", enrol, name="two_factor_enrol"),
    path("two-factor/recovery-codes/", new_recovery_codes, name="two_factor_recovery_codes"),
]
