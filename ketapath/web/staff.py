"""The clinic's staff accounts, for its administrator: each account's role, last sign-in and second
factor; the clinic's two-factor requirement; resetting another account's second factor.

Every change is written to the history of the account or clinic it changes, naming the
administrator. Only the administrator's own clinic is listed or changed: another clinic's account
is not found (404).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Exists, OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketapath.accounts import two_factor
from ketapath.accounts.models import STAFF_ROLES, Invitation, PrescriberType, Role, User
from ketapath.accounts.policy import requires, signed_in_user, user_clinic
from ketapath.audit.history import note_change
from ketapath.audit.refusals import ActionRefused
from ketapath.clinic_settings.display import moment
from ketapath.web import invitations
from ketapath.web.invitations import HoursForm, InviteForm


class RequirementForm(forms.Form):
    staff_two_factor_required = forms.BooleanField(
        required=False,
        label="Staff must use two-factor sign-in",
        help_text="Each member of staff signs in with a password and a code from an authenticator app.",
    )


def _staff(clinic_id: int) -> list[User]:
    enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    # The newest link not used and not withdrawn: shown while the person has no password yet.
    open_link = Invitation.objects.filter(
        user=OuterRef("pk"), accepted_at__isnull=True, revoked_at__isnull=True
    ).order_by("-created_at")
    return list(
        User.objects.filter(clinic_id=clinic_id, role__in=STAFF_ROLES)
        .annotate(
            has_second_factor=Exists(enrolled),
            invitation_expires=Subquery(open_link.values("expires_at")[:1]),
        )
        .order_by("last_name", "first_name", "username")
    )


def _page(
    request: HttpRequest,
    *,
    invite_form: InviteForm | None = None,
    hours_form: HoursForm | None = None,
) -> HttpResponse:
    clinic = user_clinic(request)
    form = RequirementForm(initial={"staff_two_factor_required": clinic.staff_two_factor_required})
    staff = _staff(clinic.pk)
    roles = [
        (member, RoleForm(initial={"role": role_choice(member)}, auto_id=f"id_m{member.pk}_%s"))
        for member in staff
    ]
    context = {
        "clinic": clinic,
        "staff": roles,
        "form": form,
        "now": timezone.now(),
        "invite_form": invite_form or InviteForm(role_choices=ROLE_CHOICES),
        "hours_form": hours_form
        or HoursForm(initial={"invitation_valid_hours": clinic.invitation_valid_hours}),
    }
    return render(request, "web/staff.html", context)


@requires("staff.manage")
def staff_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@requires("staff.manage")
def invitation_hours(request: HttpRequest) -> HttpResponse:
    """How many hours an invitation link stays valid (the clinic's history)."""
    admin = signed_in_user(request)
    clinic = user_clinic(request)
    form = HoursForm(request.POST)
    if not form.is_valid():
        return _page(request, hours_form=form)
    hours = form.cleaned_data["invitation_valid_hours"]
    if hours != clinic.invitation_valid_hours:
        clinic.invitation_valid_hours = hours
        note_change(clinic, f"Invitation links valid for {hours} h", admin).save()
        messages.success(request, f"Invitation links now stay valid for {hours} hours.")
    return HttpResponseRedirect(reverse("staff:list"))


@require_POST
@requires("staff.manage")
def invite(request: HttpRequest) -> HttpResponse:
    """Invite a new member of staff by e-mail: a one-time link to choose a password."""
    admin = signed_in_user(request)
    clinic = user_clinic(request)
    form = InviteForm(request.POST, role_choices=ROLE_CHOICES)
    if not form.is_valid():
        return _page(request, invite_form=form)
    data = form.cleaned_data
    role, _, kind = data["role"].partition(":")
    try:
        sent = invitations.invite_staff(
            clinic,
            username=data["username"],
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            role=role,
            prescriber_type=kind,
            by=admin,
        )
    except ActionRefused as refused:
        form.add_error(None if refused.field == "__all__" else refused.field, refused.message)
        return _page(request, invite_form=form)
    except invitations.InvitationNotSent as not_sent:
        # The account is made: the list shows it with "Send a new link".
        messages.error(request, not_sent.message)
        return HttpResponseRedirect(reverse("staff:list"))
    expires = sent.invitation.expires_at
    messages.success(
        request,
        f"Invitation sent to {sent.invitation.email}; the link works once, until {moment(expires)}.",
    )
    return HttpResponseRedirect(reverse("staff:list"))


@require_POST
@requires("staff.manage")
def invite_again(request: HttpRequest, user_id: int) -> HttpResponse:
    """A new link for someone who has not chosen a password yet; the old link stops working."""
    member = _member(request, user_id)
    try:
        sent = invitations.invite_staff_again(member, signed_in_user(request))
    except (ActionRefused, invitations.InvitationNotSent) as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request, f"A new link was sent to {sent.invitation.email}; the old one no longer works."
        )
    return HttpResponseRedirect(reverse("staff:list"))


@require_POST
@requires("staff.manage")
def requirement(request: HttpRequest) -> HttpResponse:
    """Turn the clinic's two-factor requirement for staff on or off (the clinic's history)."""
    admin = signed_in_user(request)
    clinic = user_clinic(request)
    form = RequirementForm(request.POST)
    if form.is_valid():
        wanted = form.cleaned_data["staff_two_factor_required"]
        if wanted != clinic.staff_two_factor_required:
            clinic.staff_two_factor_required = wanted
            state = "on" if wanted else "off"
            note_change(clinic, f"Two-factor sign-in for staff turned {state}", admin).save()
            if wanted:
                messages.success(
                    request,
                    "Two-factor sign-in is now required: staff without one set it up at their next page.",
                )
            else:
                messages.success(request, "Two-factor sign-in is no longer required of staff.")
    return HttpResponseRedirect(reverse("staff:list"))


# A role as the staff page offers it: a prescriber's kind is part of the choice.
ROLE_CHOICES = [
    ("prescriber:physician", "Prescriber (physician)"),
    ("prescriber:nurse_practitioner", "Prescriber (nurse practitioner)"),
    ("nurse:", "Nurse"),
    ("admin:", "Clinic administrator"),
]


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES, label="Role")


def role_choice(user: User) -> str:
    return f"{user.role}:{user.prescriber_type if user.role == Role.PRESCRIBER else ''}"


def _member(request: HttpRequest, user_id: int) -> User:
    """A member of staff of the administrator's own clinic (another clinic's account: 404)."""
    member = User.objects.filter(pk=user_id, clinic=user_clinic(request), role__in=STAFF_ROLES).first()
    if member is None:
        raise Http404("No such member of staff in your clinic.")
    return member


def _last_active_admin(member: User) -> bool:
    """Whether ``member`` is the clinic's only active administrator (who must stay one)."""
    if member.role != Role.ADMIN or not member.is_active or member.clinic_id is None:
        return False
    others = User.objects.filter(clinic_id=member.clinic_id, role=Role.ADMIN, is_active=True).exclude(
        pk=member.pk
    )
    return not others.exists()


@require_POST
@requires("staff.manage")
def change_role(request: HttpRequest, user_id: int) -> HttpResponse:
    """Change a member of staff's role (their records keep their author and role at the time)."""
    admin = signed_in_user(request)
    member = _member(request, user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles offered.")
        return HttpResponseRedirect(reverse("staff:list"))
    role, _, kind = form.cleaned_data["role"].partition(":")
    if role == member.role and kind == (member.prescriber_type if role == Role.PRESCRIBER else ""):
        return HttpResponseRedirect(reverse("staff:list"))
    if role != Role.ADMIN and _last_active_admin(member):
        messages.error(
            request, "The clinic's last administrator stays one: make another administrator first."
        )
        return HttpResponseRedirect(reverse("staff:list"))
    before = member.get_role_display()
    member.role = role
    member.prescriber_type = PrescriberType(kind) if kind else ""
    note_change(
        member, f"Role changed from {before} to {member.get_role_display()} by {admin.display_name}", admin
    )
    member.save(update_fields=["role", "prescriber_type"])
    messages.success(request, f"{member.display_name} is now: {member.get_role_display()}.")
    return HttpResponseRedirect(reverse("staff:list"))


@require_POST
@requires("staff.manage")
def set_active(request: HttpRequest, user_id: int) -> HttpResponse:
    """Deactivate a member of staff (they cannot sign in, and their open sessions end at their next
    request: Django signs out an inactive user) or reactivate them. Their records keep their author."""
    admin = signed_in_user(request)
    member = _member(request, user_id)
    active = request.POST.get("active") == "1"
    if active == member.is_active:
        return HttpResponseRedirect(reverse("staff:list"))
    if not active and member.pk == admin.pk:
        messages.error(request, "You cannot deactivate your own account.")
        return HttpResponseRedirect(reverse("staff:list"))
    if not active and _last_active_admin(member):
        messages.error(request, "The clinic's last administrator cannot be deactivated.")
        return HttpResponseRedirect(reverse("staff:list"))
    member.is_active = active
    state = "reactivated" if active else "deactivated"
    note_change(member, f"Account {state} by {admin.display_name}", admin)
    member.save(update_fields=["is_active"])
    messages.success(request, f"{member.display_name}'s account was {state}.")
    return HttpResponseRedirect(reverse("staff:list"))


@require_POST
@requires("staff.manage")
def reset_second_factor(request: HttpRequest, user_id: int) -> HttpResponse:
    """Remove another account's authenticator app and recovery codes (a lost phone). The account
    sets up a new one at its next sign-in if its clinic requires one."""
    admin = signed_in_user(request)
    clinic = user_clinic(request)
    target = User.objects.filter(pk=user_id, clinic=clinic).first()
    if target is None:
        raise Http404("No such account in your clinic.")
    if target.pk == admin.pk:
        messages.error(request, "Another administrator resets your own second factor.")
        return HttpResponseRedirect(reverse("staff:list"))
    if two_factor.remove_second_factor(target):
        note_change(target, f"Second factor reset by {admin.display_name}", admin).save()
        messages.success(request, f"{target.display_name}'s second factor was reset.")
    else:
        messages.info(request, f"{target.display_name} had no second factor set up.")
    return HttpResponseRedirect(reverse("staff:list"))


app_name = "staff"
# Under /clinic/staff/ (ketapath/urls.py).
urlpatterns = [
    path("", staff_list, name="list"),
    path("two-factor/", requirement, name="requirement"),
    path("invitation-hours/", invitation_hours, name="invitation_hours"),
    path("invite/", invite, name="invite"),
    path("<int:user_id>/invite-again/", invite_again, name="invite_again"),
    path("<int:user_id>/reset-second-factor/", reset_second_factor, name="reset_second_factor"),
    path("<int:user_id>/role/", change_role, name="role"),
    path("<int:user_id>/active/", set_active, name="active"),
]
