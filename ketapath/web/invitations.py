"""Invitations: the link a new member of staff or a patient opens to choose their password.

- The clinic's administrator invites staff from the staff page (``ketapath.web.staff``) and sets
  how many hours a link stays valid (a clinic setting with history and no default: until it is
  set, nobody can be invited).
- Staff invite a patient to the portal from the patient's chart (:func:`invite_patient`), see
  whether the patient has an account and when it was last used, and can close it.
- The person invited opens ``/accounts/invitation/<secret>/``, chooses a password, and is signed
  in: staff go on to set up two-factor sign-in, patients to the portal.

The link rules are in ``ketapath.accounts.invitations``. This module lives in ``ketapath.web``
because it writes history (``ketapath.audit``) and reads the patients app. The e-mails name the
clinic and link to the page; they carry no clinical detail, as someone else may read them.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from typing import Any

from axes.utils import reset as reset_lockout
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketapath.accounts import invitations as links
from ketapath.accounts.models import INVITATION_HOURS_MAX, Clinic, Invitation, Role, User
from ketapath.accounts.policy import public, requires, signed_in_user
from ketapath.audit.history import note_change
from ketapath.audit.models import AccessAction
from ketapath.audit.refusals import ActionRefused
from ketapath.clinic_settings.display import moment
from ketapath.patients.access import patient_for
from ketapath.patients.models import Patient

log = logging.getLogger(__name__)

# The only backend that signs in a user who has just proved they hold the link (axes' backend
# guards the password form, which this is not).
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def accept_url(token: str) -> str:
    return f"{settings.KETAPATH_SITE_URL}{reverse('invitation_accept', args=[token])}"


class InvitationNotSent(Exception):
    """The account and its link were saved, but the mail server did not take the e-mail.

    Only the link's hash is stored, so the link itself is lost: "Send a new link" makes another
    once the e-mail settings work. The pages say so instead of failing."""

    def __init__(self, email: str, reason: str) -> None:
        super().__init__(reason)
        self.message = (
            f"The invitation for {email} was saved, but the e-mail could not be sent ({reason}). "
            "Check the e-mail settings, then use “Send a new link”."
        )


def send_invitation(sent: links.Sent) -> None:
    """The e-mail with the link: it names the clinic and the role, and nothing clinical.
    :class:`InvitationNotSent` when the mail server refuses it or cannot be reached."""
    invitation = sent.invitation
    context = {
        "clinic": invitation.clinic,
        "user": invitation.user,
        "is_patient": invitation.user.role == Role.PATIENT,
        "link": accept_url(sent.token),
        "expires": moment(invitation.expires_at),
        "zone": timezone.localtime(invitation.expires_at).tzname(),
    }
    subject = " ".join(render_to_string("accounts/invitation_subject.txt", context).split())
    body = render_to_string("accounts/invitation_email.txt", context)
    try:
        send_mail(subject, body, None, [invitation.email])
    except (smtplib.SMTPException, OSError) as exc:  # refused, or the server unreachable
        log.warning("invitation %s: e-mail not sent: %s", invitation.pk, exc)
        reason = " ".join(str(exc).split())[:160] or exc.__class__.__name__
        raise InvitationNotSent(invitation.email, reason) from exc


def _hours_set(clinic: Clinic) -> None:
    if not clinic.invitation_valid_hours:
        raise ActionRefused(links.HOURS_UNSET)


# --- Staff ----------------------------------------------------------------------------------------


def invite_staff(
    clinic: Clinic,
    *,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    prescriber_type: str,
    by: User,
    now: datetime | None = None,
) -> links.Sent:
    """Make the account (no password yet: it cannot sign in) and send its link."""
    now = now or timezone.now()
    _hours_set(clinic)
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise ActionRefused("That user name is taken: choose another.", field="username")
        user = User(
            username=username,
            email=email,
            first_name=first_name,
            last_name=last_name,
            role=role,
            prescriber_type=prescriber_type,
            clinic=clinic,
        )
        user.set_unusable_password()
        note_change(user, f"Invited as {user.get_role_display()} by {by.display_name}", by, when=now).save()
        sent = links.issue(clinic, user, email, by, now)
    send_invitation(sent)
    return sent


def invite_staff_again(member: User, by: User, now: datetime | None = None) -> links.Sent:
    """A new link for a member of staff who has not chosen a password yet (the old link stops)."""
    now = now or timezone.now()
    clinic = member.clinic
    if clinic is None:
        raise ActionRefused("This account belongs to no clinic.")
    _hours_set(clinic)
    if member.has_usable_password():
        raise ActionRefused(
            f"{member.display_name} has already chosen a password: they can reset it from the sign-in page."
        )
    if not member.is_active:
        raise ActionRefused(f"{member.display_name}'s account is deactivated: reactivate it first.")
    with transaction.atomic():
        sent = links.issue(clinic, member, member.email, by, now)
        note_change(member, f"New invitation link sent by {by.display_name}", by, when=now).save()
    send_invitation(sent)
    return sent


# --- Patients -------------------------------------------------------------------------------------


def _free_username(patient: Patient) -> str:
    """The patient's e-mail address as their user name, or with the MRN when another account has it."""
    wanted = patient.email.strip().lower()[:150]
    if not User.objects.filter(username__iexact=wanted).exists():
        return wanted
    return f"{wanted[: 149 - len(patient.mrn)]}-{patient.mrn}".lower()


def invite_patient(patient: Patient, by: User, now: datetime | None = None) -> links.Sent:
    """Open (or reopen) the patient's portal account and send its link to their e-mail address."""
    now = now or timezone.now()
    clinic = patient.clinic
    if not patient.email:
        raise ActionRefused(
            "This patient has no e-mail address on record: add one to their details first.", field="email"
        )
    _hours_set(clinic)
    with transaction.atomic():
        locked = Patient.objects.select_for_update(of=("self",)).select_related("user").get(pk=patient.pk)
        user = locked.user
        if user is None:
            user = User(
                username=_free_username(locked),
                email=locked.email,
                first_name=locked.given_name,
                last_name=locked.family_name,
                role=Role.PATIENT,
                clinic=clinic,
            )
            user.set_unusable_password()
            note_change(user, f"Portal account opened by {by.display_name}", by, when=now).save()
            locked.user = user
            note_change(locked, "Portal account opened; invitation sent", by, when=now)
            locked.save(update_fields=["user", "updated_at"])
        else:
            if user.is_active and user.has_usable_password():
                raise ActionRefused(
                    "This patient already has a portal account. "
                    "A forgotten password is reset from the sign-in page."
                )
            user.is_active = True
            user.email = locked.email
            note_change(user, f"Portal invitation sent by {by.display_name}", by, when=now)
            user.save(update_fields=["is_active", "email"])
        sent = links.issue(clinic, user, locked.email, by, now)
    send_invitation(sent)
    return sent


def close_patient_account(patient: Patient, by: User, now: datetime | None = None) -> None:
    """Close the patient's portal access: no sign-in, open sessions end at their next request, unused
    links stop working. The account and its records stay; an invitation reopens it."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Patient.objects.select_for_update(of=("self",)).select_related("user").get(pk=patient.pk)
        user = locked.user
        if user is None or (not user.is_active and not links.pending(user, now)):
            raise ActionRefused("This patient has no open portal account.")
        links.withdraw(user, now)
        user.is_active = False
        user.set_unusable_password()
        note_change(user, f"Portal access closed by {by.display_name}", by, when=now)
        user.save(update_fields=["is_active", "password"])
        note_change(locked, "Portal access closed", by, when=now)
        locked.save(update_fields=["updated_at"])


def portal_account(patient: Patient, now: datetime) -> dict[str, Any]:
    """What the chart shows about the patient's portal account (two queries at most)."""
    user = patient.user
    last = Invitation.objects.filter(user=user).order_by("-created_at").first() if user else None
    if user is not None and user.is_active and user.has_usable_password():
        state = "active"
    elif user is not None and last is not None and last.accepted_at is None and last.revoked_at is None:
        state = "invited" if last.expires_at > now else "expired"
    elif user is not None and not user.is_active:
        state = "closed"
    else:
        state = "none"
    return {
        "state": state,
        "account": user,
        "invitation": last,
        "has_email": bool(patient.email),
        "hours_set": bool(patient.clinic.invitation_valid_hours),
    }


def portal_account_panel(patient: Any, user: Any, today: Any) -> dict[str, Any]:
    return portal_account(patient, timezone.now())


@require_POST
@requires("patients.edit")
def patient_invite(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="patients.edit", action=AccessAction.EDIT)
    try:
        sent = invite_patient(patient, signed_in_user(request))
    except (ActionRefused, InvitationNotSent) as refused:
        messages.error(request, refused.message)
    else:
        expires = sent.invitation.expires_at
        messages.success(
            request,
            f"Invitation sent to {sent.invitation.email}; the link works until {moment(expires)}.",
        )
    return HttpResponseRedirect(reverse("patients:detail", args=[patient.mrn]) + "#portal-account")


@require_POST
@requires("patients.edit")
def patient_close(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="patients.edit", action=AccessAction.EDIT)
    try:
        close_patient_account(patient, signed_in_user(request))
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Portal access closed: the patient can no longer sign in.")
    return HttpResponseRedirect(reverse("patients:detail", args=[patient.mrn]) + "#portal-account")


# --- Accepting a link -----------------------------------------------------------------------------


class ChoosePasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Choose a password"
        self.fields["new_password2"].label = "The same password again"


def accept(invitation: Invitation, password: str, now: datetime) -> User:
    """Set the account's password and use up the link, locked: a double submit uses it once.
    ActionRefused when the link stopped working meanwhile."""
    with transaction.atomic():
        fresh = Invitation.objects.select_for_update().get(pk=invitation.pk)
        user = User.objects.select_for_update().get(pk=fresh.user_id)
        fresh.user = user
        problem = links.problem(fresh, now)
        if problem:
            raise ActionRefused(problem)
        user.set_password(password)
        note_change(user, "Invitation accepted: password chosen", user, when=now)
        user.save(update_fields=["password"])
        fresh.accepted_at = now
        fresh.save(update_fields=["accepted_at"])
    return user


@public
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    invitation, problem = links.find(token, now)
    # A link that does not work answers 200 with the reason, as Django's password-reset page does.
    if invitation is None or problem:
        return render(request, "accounts/invitation_accept.html", {"problem": problem})
    user = invitation.user
    signed_in = request.user if request.user.is_authenticated else None
    if signed_in is not None and signed_in.pk != user.pk:
        other = {"invitation": invitation, "other_user": signed_in}
        return render(request, "accounts/invitation_accept.html", other)
    form = ChoosePasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accept(invitation, form.cleaned_data["new_password1"], now)
        except ActionRefused as refused:
            return render(request, "accounts/invitation_accept.html", {"problem": refused.message})
        reset_lockout(username=user.get_username())
        login(request, user, backend=MODEL_BACKEND)
        if user.role == Role.PATIENT:
            return HttpResponseRedirect(reverse("portal:home"))
        # Staff go on to set up two-factor sign-in (required or not, it is offered here).
        return HttpResponseRedirect(f"{reverse('two_factor_enrol')}?next={reverse('dashboard')}")
    context: dict[str, Any] = {"invitation": invitation, "form": form, "account": user}
    return render(request, "accounts/invitation_accept.html", context)


# Under /accounts/ (ketapath/urls.py).
urlpatterns = [
    path("invitation/<str:token>/", accept_invitation, name="invitation_accept"),
]


# Under /patients/<mrn>/portal-account/ (ketapath/urls.py), namespace ``portal_account``.
patient_account_urlpatterns = [
    path("invite/", patient_invite, name="invite"),
    path("close/", patient_close, name="close"),
]


class InviteForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    username = forms.CharField(
        label="User name",
        max_length=150,
        validators=[User.username_validator],
        help_text="Letters, digits and @ . + - _ only. They sign in with it.",
    )
    email = forms.EmailField(label="E-mail address", max_length=254)
    role = forms.ChoiceField(label="Role", choices=())

    def __init__(self, *args: Any, role_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices  # type: ignore[attr-defined]


class HoursForm(forms.Form):
    invitation_valid_hours = forms.IntegerField(
        label="Invitation links stay valid for (hours)",
        min_value=1,
        max_value=INVITATION_HOURS_MAX,
        help_text=f"A link works once, until it expires. From 1 to {INVITATION_HOURS_MAX} hours (a week).",
    )
