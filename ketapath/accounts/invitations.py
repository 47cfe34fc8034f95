"""One-time invitation links: a new member of staff or a patient sets their own password.

The link carries a random secret (256 bits); only its SHA-256 is stored, so a copy of the
database opens no account. A link works once, until the clinic's ``invitation_valid_hours`` after
it was sent, and stops working when a newer link is sent for the same account or the account is
deactivated. The pages and e-mails are in ``ketapath.web.invitations`` (they write history).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from ketapath.accounts.models import Clinic, Invitation, User

# Why a link does not work, in words for the person holding it.
USED = (
    "This link has already been used. Sign in with the password you chose, or ask your clinic for a new link."
)
EXPIRED = "This link has expired. Ask your clinic to send you a new one."
WITHDRAWN = "This link was withdrawn: a newer one was sent, or the account was closed. Ask your clinic."
UNKNOWN = "This link does not work. Check that you copied all of it, or ask your clinic for a new one."

HOURS_UNSET = (
    "Set how many hours an invitation link stays valid (on the Staff accounts page) before anyone is invited."
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Sent:
    invitation: Invitation
    token: str


def pending(user: User, now: datetime) -> Invitation | None:
    """The account's link that still works, if any."""
    return (
        Invitation.objects.filter(
            user=user, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        )
        .order_by("-created_at")
        .first()
    )


def withdraw(user: User, now: datetime) -> int:
    """Stop every unused link of this account from working; how many were withdrawn."""
    return Invitation.objects.filter(user=user, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )


def issue(clinic: Clinic, user: User, email: str, by: User, now: datetime) -> Sent:
    """A new link for ``user`` (earlier unused ones withdrawn). ValueError while the clinic has not
    set how long a link stays valid: no link is made on an assumed length."""
    hours = clinic.invitation_valid_hours
    if not hours:
        raise ValueError(HOURS_UNSET)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        withdraw(user, now)
        invitation = Invitation.objects.create(
            clinic=clinic,
            user=user,
            email=email,
            token_hash=token_hash(token),
            created_by=by,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    return Sent(invitation, token)


def find(token: str, now: datetime) -> tuple[Invitation | None, str | None]:
    """The invitation this link is for, and why it does not work (None: it works)."""
    if not token or len(token) > 100:
        return None, UNKNOWN
    invitation = (
        Invitation.objects.select_related("user", "clinic").filter(token_hash=token_hash(token)).first()
    )
    if invitation is None:
        return None, UNKNOWN
    return invitation, problem(invitation, now)


def problem(invitation: Invitation, now: datetime) -> str | None:
    """Why this link does not work now (None: it works)."""
    if invitation.accepted_at is not None:
        return USED
    if invitation.revoked_at is not None or not invitation.user.is_active:
        return WITHDRAWN
    if invitation.expires_at <= now:
        return EXPIRED
    return None
