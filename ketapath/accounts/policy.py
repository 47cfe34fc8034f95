"""The access policy: the one place that says which role may do what.

Every view declares one permission with :func:`requires` (or :func:`public`); the decorator signs
anonymous users in first and answers 403 to a role the permission does not list. Which *records*
a user may see (their clinic's, or only their own) is the job of the per-object helpers, such as
``ketapath.patients.access.patient_for``, which call :func:`allowed` too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse

from ketapath.accounts.models import Clinic, Role, User
from ketapath.accounts.two_factor import VERIFY, owed_step

P, N, A, PT = Role.PRESCRIBER, Role.NURSE, Role.ADMIN, Role.PATIENT
STAFF = frozenset({P, N, A})
CLINICIANS = frozenset({P, N})
EVERYONE = frozenset({P, N, A, PT})

# permission -> the roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "dashboard.view": EVERYONE,
    "account.view": EVERYONE,
    # The clinic's staff accounts: who they are, their second factor, the clinic's requirement.
    "staff.manage": frozenset({A}),
    # The registry: demographics, contacts, escort. Administrators keep it (front desk).
    "patients.list": STAFF,
    "patients.view": STAFF,
    "patients.create": STAFF,
    "patients.edit": STAFF,
    "patients.mark_in_error": frozenset({P, A}),
    "patients.history": STAFF,
    # Clinical content of the chart: clinicians only.
    "clinical.view": CLINICIANS,
    "clinical.chart": CLINICIANS,
    "clinical.sign": frozenset({P}),
    "audit.access_log": frozenset({A}),
    # The instrument catalogue (definitions, scoring, sources, licences): all staff.
    "instruments.view": STAFF,
    # Clinic settings (values no source gives): prescribers choose, administrators can read.
    "clinic.settings.view": frozenset({P, A}),
    "clinic.settings.edit": frozenset({P}),
    # Clinic readiness: which safety settings are still unset (every member of staff may see it).
    "clinic.readiness.view": STAFF,
    # Pharmacokinetic simulation of a regimen.
    "pk.simulate": CLINICIANS,
    # Consultation: clinicians record the intake and signed consents; prescribers sign the
    # evaluation ("clinical.sign"). The clinic's consent text: staff read it, prescribers publish it.
    "consultations.intake": CLINICIANS,
    "consultations.consent": CLINICIANS,
    "consent.text.view": STAFF,
    "consent.text.edit": frozenset({P}),
    # Treatment plans: clinicians read plans and the protocol library and schedule the sessions of
    # an approved plan; only prescribers write, approve and sign plans and write local protocols.
    "plans.view": CLINICIANS,
    "plans.edit": frozenset({P}),
    "plans.approve": frozenset({P}),
    "plans.schedule": CLINICIANS,
    "protocols.edit": frozenset({P}),
    # Infusion sessions: clinicians chart the flowsheet and sign it; a prescriber decides on what
    # the pre-checks flag and co-signs the signed session.
    "infusions.view": CLINICIANS,
    "infusions.chart": CLINICIANS,
    "infusions.decide": frozenset({P}),
    "infusions.cosign": frozenset({P}),
    # Outcomes: the cohort report is for prescribers and administrators (no patient is named in
    # it); the review note is signed with "clinical.sign". Tips for patients: staff read them,
    # clinicians customise and edit them.
    "outcomes.report": frozenset({P, A}),
    "tips.view": STAFF,
    "tips.edit": CLINICIANS,
    # Documents on a chart (ECGs, lab reports, letters) are clinical content: clinicians read and
    # attach them; a prescriber marks one entered in error (as for a signed note).
    "documents.view": CLINICIANS,
    "documents.upload": CLINICIANS,
    "documents.mark_in_error": frozenset({P}),
    # The clinic's calendar (appointments by chair and day): staff see it; administrators see names,
    # times and chairs but nothing clinical. Its settings (zone, opening hours, chairs): P and A.
    "calendar.view": STAFF,
    "calendar.settings": frozenset({P, A}),
    # A patient's appointments on the chart: the front desk (administrators) books them too.
    "appointments.view": STAFF,
    "appointments.book": STAFF,
    "portal.view": frozenset({PT}),
    "portal.write": frozenset({PT}),
}

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


def allowed(user: Any, permission: str) -> bool:
    """Whether this user's role holds the permission (an unknown permission is an error)."""
    try:
        roles = PERMISSIONS[permission]
    except KeyError:
        raise KeyError(f"unknown permission {permission!r}: declare it in accounts.policy") from None
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role != Role.PATIENT and user.clinic_id is None:
        return False
    return user.role in roles


def requires(permission: str, *, second_factor: bool = True) -> Callable[[ViewFunc], ViewFunc]:
    """Declare and enforce the permission a view needs.

    A signed-in user who still owes a second factor (its code, or setting one up: see
    ``ketapath.accounts.two_factor``) is sent to that step first, from every page but the step's
    own (``second_factor=False``).
    """
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}: declare it in accounts.policy")

    def decorate(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                if request.headers.get("HX-Request") == "true":
                    # htmx would follow a redirect and swap the sign-in page into a fragment.
                    return htmx_sign_in(request)
                return redirect_to_login(request.get_full_path())
            if second_factor and (step := owed_step(request)) is not None:
                return second_factor_step(request, step)
            if not allowed(request.user, permission):
                raise PermissionDenied(f"Your role may not use this page ({permission}).")
            return view(request, *args, **kwargs)

        wrapped.ketapath_permission = permission  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


def second_factor_step(request: HttpRequest, step: str) -> HttpResponse:
    """To the page of the second-factor step the user owes, coming back to this page after it
    (an htmx request: 401 with ``HX-Redirect``, as for a sign-in)."""
    url = reverse("two_factor_verify" if step == VERIFY else "two_factor_enrol")
    back = request.get_full_path()
    if request.headers.get("HX-Request") == "true":
        parts = urlsplit(request.headers.get("HX-Current-URL", ""))
        same_site = parts.netloc in {"", request.get_host()} and parts.path.startswith("/")
        back = parts.path + (f"?{parts.query}" if parts.query else "") if same_site else "/"
        response = HttpResponse("Second factor needed.", status=401, content_type="text/plain")
        response["HX-Redirect"] = f"{url}?{urlencode({'next': back})}"
        return response
    return HttpResponseRedirect(f"{url}?{urlencode({'next': back})}")


def htmx_sign_in(request: HttpRequest) -> HttpResponse:
    """401 for an htmx request of a signed-out user, with ``HX-Redirect`` to the sign-in page
    (htmx opens it), coming back to the page the request was made from, not to the fragment."""
    login_url = resolve_url(settings.LOGIN_URL)
    target = login_url
    parts = urlsplit(request.headers.get("HX-Current-URL", ""))
    # Only a page of this site comes back (never another host's address).
    if parts.netloc in {"", request.get_host()} and parts.path.startswith("/") and "//" not in parts.path:
        back = parts.path + (f"?{parts.query}" if parts.query else "")
        target = f"{login_url}?{urlencode({'next': back})}"
    response = HttpResponse("Signed out: sign in again.", status=401, content_type="text/plain")
    response["HX-Redirect"] = target
    return response


def signed_in_user(request: HttpRequest) -> User:
    """The signed-in user of a view behind :func:`requires`; anyone else is refused (403)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("Sign in to use this page.")
    return user


def user_clinic(request: HttpRequest) -> Clinic:
    """The clinic of the signed-in user (staff or patient); a user with none is refused (403)."""
    clinic = signed_in_user(request).clinic
    if clinic is None:
        raise PermissionDenied("Your account belongs to no clinic.")
    return clinic


def user_clinic_id(request: HttpRequest) -> int:
    """The id of the signed-in user's clinic, without loading it; none is refused (403)."""
    clinic_id = signed_in_user(request).clinic_id
    if clinic_id is None:
        raise PermissionDenied("Your account belongs to no clinic.")
    return int(clinic_id)


def public(view: ViewFunc) -> ViewFunc:
    """Declare a view open to everyone, signed in or not (sign-in page, health check)."""
    view.ketapath_permission = "public"  # type: ignore[attr-defined]
    return view


def declared_permission(view: Any) -> str | None:
    """The permission a resolved view declared, or None when it declared none."""
    target = getattr(view, "view_class", None) or view
    return getattr(view, "ketapath_permission", None) or getattr(target, "ketapath_permission", None)
