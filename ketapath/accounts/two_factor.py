"""Two-factor sign-in (django-otp): what a signed-in user still owes before any other page.

A user with an authenticator app set up enters one of its codes (or a recovery code) after the
password, once per sign-in; a member of staff whose clinic requires a second factor and who has
none sets one up first. Patients may set one up; none is required of them. The pages that take the
code live in ``ketapath.web.two_factor`` (they write the user's history, a layer above this one);
:func:`ketapath.accounts.policy.requires` sends every other page to them until the step is done.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketapath.accounts.models import STAFF_ROLES

VERIFY = "verify"
ENROL = "enrol"
APP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
RECOVERY_CODES = 10
# Recovery codes: 10 characters of a 31-letter alphabet without look-alikes (0/o, 1/l/i), about
# 50 bits each; shown in two groups of five, accepted with or without the dash and in any case.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10
# The longest code a form takes (a recovery code with its dash and spaces around it).
CODE_MAX = 20
# Recovery codes are kept only as a keyed hash (HMAC-SHA-256 with the server's SECRET_KEY, 64 bits
# of it: django-otp's token column holds 16 characters), never as typed: a copy of the database
# signs no one in, and a code's ~50 bits cannot be searched for without the key. A new SECRET_KEY
# makes the codes stop working; the app still works, and new codes can be made.
RECOVERY_HASH_SALT = "ketapath.accounts.two_factor.recovery-code"


def has_second_factor(user: Any) -> bool:
    """Whether the user has an authenticator app set up (a confirmed TOTP device)."""
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def must_enrol(user: Any) -> bool:
    """Whether the user is staff of a clinic that requires a second factor."""
    return bool(
        user.role in STAFF_ROLES and user.clinic_id is not None and user.clinic.staff_two_factor_required
    )


def owed_step(request: HttpRequest) -> str | None:
    """:data:`VERIFY`, :data:`ENROL` or None: the step this request's signed-in user still owes."""
    user: Any = request.user
    if not user.is_authenticated:
        return None
    cached: str | bool | None = getattr(request, "_ketapath_owed_step", False)
    if cached is not False:
        return cached if isinstance(cached, str) else None
    step: str | None = None
    if not (hasattr(user, "is_verified") and user.is_verified()):
        if has_second_factor(user):
            step = VERIFY
        elif must_enrol(user):
            step = ENROL
    request._ketapath_owed_step = step  # type: ignore[attr-defined]
    return step


def normalise_code(text: str) -> str:
    """A typed code without spaces or dashes, in lower case (recovery codes are shown grouped)."""
    return "".join(text.split()).replace("-", "").lower()[:CODE_MAX]


def new_recovery_code() -> str:
    return "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))


def kept_form(code: str) -> str:
    """How a recovery code is stored and compared (see :data:`RECOVERY_HASH_SALT`)."""
    return salted_hmac(RECOVERY_HASH_SALT, code, algorithm="sha256").hexdigest()[:16]


def looks_like_recovery_code(code: str) -> bool:
    """A normalised code of a recovery code's length and alphabet (an app's code is 6 digits, and
    the alphabet has no 0 or 1, so the two never overlap)."""
    return len(code) == RECOVERY_LENGTH and set(code) <= set(RECOVERY_ALPHABET)


def matching_device(user: Any, code: str) -> Device | None:
    """The user's confirmed device that accepts ``code`` (normalised), and uses it up if it is a
    recovery code; None otherwise. A code is tried on the kind of device its shape belongs to, so
    a wrong app code does not count against the recovery codes, nor the reverse."""
    devices: list[Device]
    if looks_like_recovery_code(code):
        devices, token = list(StaticDevice.objects.filter(user=user, confirmed=True)), kept_form(code)
    else:
        devices, token = list(TOTPDevice.objects.filter(user=user, confirmed=True)), code
    return next((device for device in devices if device.verify_token(token)), None)


def shown(code: str) -> str:
    """A recovery code as shown: two groups of five."""
    return f"{code[:5]}-{code[5:]}"


def pending_app(user: Any) -> TOTPDevice:
    """The authenticator app being set up (one unconfirmed device, made on first use, so the QR
    code stays the same while the page is reloaded)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_NAME, confirmed=False)
    return device


@transaction.atomic
def replace_recovery_codes(user: Any) -> list[str]:
    """New recovery codes for ``user``; the old ones stop working. Returns them, to show once."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    StaticToken.objects.filter(device=device).delete()
    codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=kept_form(code)) for code in codes)
    return codes


def recovery_codes_left(user: Any) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


@transaction.atomic
def confirm_app(user: Any, device: TOTPDevice) -> list[str]:
    """The app's first code was right: it becomes the user's second factor (any other app is
    removed) and new recovery codes are made; returns them, to show once."""
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return replace_recovery_codes(user)


@transaction.atomic
def remove_second_factor(user: Any) -> int:
    """Remove the user's authenticator app and recovery codes (an administrator's reset). Returns
    how many devices were removed. A session verified with one of them is verified no longer."""
    removed = TOTPDevice.objects.filter(user=user).delete()[0]
    removed += StaticDevice.objects.filter(user=user).delete()[0]
    return int(removed)
