"""Every URL pattern, for every role: the expected allow or deny.

The table below is written by hand from what each role should be able to do. A URL pattern that
is not in the table, or whose view declares no permission, fails the test: a new page cannot be
added without deciding who may use it.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ketapath.accounts.policy import declared_permission

ROLES = ["anonymous", "prescriber", "nurse", "admin", "patient"]
STAFF = {"prescriber", "nurse", "admin"}
ALL = {"prescriber", "nurse", "admin", "patient"}
CLINICIANS = {"prescriber", "nurse"}

# url name -> (method, roles allowed). "public" pages answer everyone.
EXPECTED: dict[str, tuple[str, set[str] | str]] = {
    "dashboard": ("GET", ALL),
    "health": ("GET", "public"),
    "login": ("GET", "public"),
    "logout": ("POST", "public"),
    "account": ("GET", ALL),
    "patients:list": ("GET", STAFF),
    "patients:create": ("GET", STAFF),
    "patients:detail": ("GET", STAFF),
    "patients:edit": ("GET", STAFF),
    "patients:history": ("GET", STAFF),
    "patients:mark_in_error": ("POST", {"prescriber", "admin"}),
    "audit:access_log": ("GET", {"admin"}),
    "portal:home": ("GET", {"patient"}),
    "portal:questionnaires": ("GET", {"patient"}),
    "portal:questionnaire_fill": ("GET", {"patient"}),
    "alerts:list": ("GET", CLINICIANS),
    "alerts:acknowledge": ("POST", CLINICIANS),
    "questionnaires:patient": ("GET", CLINICIANS),
    "questionnaires:assign": ("POST", CLINICIANS),
    "questionnaires:fill": ("GET", CLINICIANS),
    "questionnaires:response": ("GET", CLINICIANS),
    "questionnaires:review": ("POST", CLINICIANS),
    "instruments:list": ("GET", STAFF),
    "clinic_settings:page": ("GET", {"prescriber", "admin"}),
    "instruments:detail": ("GET", STAFF),
    "instruments:fhir": ("GET", STAFF),
}


def all_url_names(resolver=None, namespace: str = "", kwargs: frozenset = frozenset()) -> dict:
    """url name -> (view, the keyword arguments its full route takes)."""
    resolver = resolver or get_resolver()
    found: dict[str, tuple[object, frozenset]] = {}
    for entry in resolver.url_patterns:
        names = kwargs | frozenset(entry.pattern.converters)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found |= all_url_names(entry, ns, names)
        elif isinstance(entry, URLPattern):
            assert entry.name, f"URL pattern {entry.pattern} has no name"
            found[f"{namespace}{entry.name}"] = (entry.callback, names)
    return found


def test_every_url_is_in_the_table_and_declares_a_permission():
    names = all_url_names()
    assert set(names) == set(EXPECTED), (
        f"not in the table: {sorted(set(names) - set(EXPECTED))}; "
        f"in the table but gone: {sorted(set(EXPECTED) - set(names))}"
    )
    undeclared = [name for name, (view, _) in names.items() if declared_permission(view) is None]
    assert undeclared == [], f"views without a declared permission: {undeclared}"


@pytest.fixture
def samples(personas):
    """One record of each kind the URLs name, all belonging to patient_one of clinic A."""
    from django.utils import timezone

    from ketapath.alerts.actions import raise_alert
    from ketapath.clinical.instruments import get_instrument
    from ketapath.questionnaires.actions import assign, save_answers

    patient = personas.patient_one
    assignment = assign(
        patient=patient,
        instrument_id="phq-9",
        due_on=timezone.localdate(),
        respondent="patient",
        user=personas.nurse,
    )
    other = assign(
        patient=patient,
        instrument_id="gad-7",
        due_on=timezone.localdate(),
        respondent="staff",
        user=personas.nurse,
    )
    saved = save_answers(
        patient=patient,
        definition=get_instrument("gad-7"),
        answers={f"q{i}": 1 for i in range(1, 8)},
        user=personas.nurse,
        respondent="staff",
        complete=True,
        assignment=other,
    )
    alert = raise_alert(
        patient=patient,
        origin=saved.response,
        origin_label="walk",
        rule_id="walk",
        severity="high",
        audience="care-team",
        routing="review",
        message="walk test",
    )
    return {
        "mrn": patient.mrn,
        "instrument_id": "phq-9",
        "response_id": saved.response.pk,
        "alert_id": alert.pk,
        "assignment_id": assignment.pk,
    }


def url_for(name: str, samples) -> str:
    _, kwargs = all_url_names()[name]
    return reverse(name, kwargs={k: samples[k] for k in kwargs})


def user_for(role: str, personas):
    return {
        "anonymous": None,
        "prescriber": personas.prescriber,
        "nurse": personas.nurse,
        "admin": personas.admin,
        "patient": personas.patient_one.user,
    }[role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_url_access(name, role, personas, samples, client, login):
    method, allowed = EXPECTED[name]
    user = user_for(role, personas)
    if user is not None:
        login(user)
    url = url_for(name, samples)
    data = {"reason": "walk test"} if method == "POST" else None
    response = client.post(url, data) if method == "POST" else client.get(url)
    status = response.status_code
    if allowed == "public":
        assert status in {200, 302}, f"{name} as {role}: {status}"
    elif role in allowed:
        assert status in {200, 302}, f"{name} as {role} should be allowed, got {status}"
        if status == 302:
            assert "/accounts/login/" not in response["Location"], f"{name} as {role} sent to login"
    elif role == "anonymous":
        assert status == 302 and response["Location"].startswith("/accounts/login/"), (
            f"{name} anonymous: {status}"
        )
    else:
        assert status == 403, f"{name} as {role} should be refused, got {status}"
