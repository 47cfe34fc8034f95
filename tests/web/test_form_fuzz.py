"""Issue 13: hostile and careless values posted to every form of the registry, clinic settings,
intake, evaluation, plan, local protocols, flowsheet, liver results, questionnaires and portal.

The forms are discovered from the served pages (tests/fuzz_forms.py), not hand-listed. Each
example posts a valid baseline with some fields replaced by hostile values (huge, negative, NaN,
infinite, far dates, long text, odd characters) and asserts: never a 5xx (the test client
re-raises a view's exception); a 200 page renders; a save (a redirect) leads to a page that
renders, after which the patient's pages render and their FHIR bundle builds and validates.
Every example runs in a savepoint that is rolled back, so all examples start from the same record.
An example whose post changed no record (no write, and the same database as an example before it)
does not render the patient's pages again: they were found intact on that same database.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Count, Max
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from ketapath.consultations.actions import IntakeChanges, complete_visit, save_intake
from ketapath.infusions.models import InfusionSession
from ketapath.patients.models import Patient
from ketapath.questionnaires.actions import assign
from ketapath.web.fhir_export import patient_bundle
from tests.fuzz_forms import Form, forms_on, payloads
from tests.infusions.conftest import (  # noqa: F401  (fixtures)
    Charting,
    chart,
    clock,
    monitoring_settings,
    planned,
    planned_snapshot,
    session,
)
from tests.plans.conftest import CLEAR, make_ready  # noqa: F401  (fixture)

EXAMPLES = int(os.environ.get("KETAPATH_FUZZ_EXAMPLES", "12"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # No shrinking: one example costs a dozen page renders, and shrinking a failure took minutes.
    # The failing example is reported whole (each draw labelled: the form, then the body).
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


# --- helpers ---------------------------------------------------------------------------------


def once(personas, name: str, make):
    """Set-up done on the first example only and kept (examples run in rolled-back savepoints;
    ``personas`` is new for each test function, so this is per test function)."""
    done = personas.__dict__.setdefault("_fuzz_setup", {})
    if name not in done:
        done[name] = make()
    return done[name]


def current_test() -> str:
    return os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]


# One signed-in client per user and test function: a sign-in writes the user's last sign-in (and
# its history), which would make every example's database differ from the one before.
CLIENTS: dict[tuple[str, int], Client] = {}


def staff_client(user) -> Client:
    key = (current_test(), user.pk)
    if key not in CLIENTS:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        CLIENTS[key] = client
    return CLIENTS[key]


def post_forms(client: Client, url: str) -> list[Form]:
    """The page's POST forms with something to fill (not the sign-out form), actions resolved."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    found = []
    for form in forms_on(response.content.decode()):
        if form.method != "post" or form.action.startswith("/accounts/logout"):
            continue
        if not [f for f in form.fields if f.name != "csrfmiddlewaretoken"]:
            continue
        form.action = form.action or url
        found.append(form)
    return found


def one_form(client: Client, url: str, action: str | None = None) -> Form:
    forms = [f for f in post_forms(client, url) if action is None or f.action == action]
    assert forms, f"no form at {url} ({action})"
    return forms[-1]


def patient_pages(patient) -> list[str]:
    base = f"/patients/{patient.mrn}"
    urls = [
        "/",
        "/patients/",
        f"{base}/",
        f"{base}/history/",
        f"{base}/plan/",
        f"{base}/outcomes/",
        f"{base}/sessions/",
        f"{base}/questionnaires/",
    ]
    for pk in InfusionSession.objects.filter(patient=patient).values_list("pk", flat=True):
        urls += [f"{base}/sessions/{pk}/", f"{base}/sessions/{pk}/live/"]
    return urls


def assert_record_intact(staff: Client, patient, portal: Client | None = None) -> None:
    """Every page of the patient renders and the FHIR bundle builds and validates."""
    patient = Patient.objects.get(pk=patient.pk)
    for url in patient_pages(patient):
        response = staff.get(url)
        assert response.status_code == 200, (url, response.status_code)
    if portal is not None:
        for url in (
            "/portal/",
            "/portal/journal/",
            "/portal/progress/",
            "/portal/appointments/",
            "/portal/questionnaires/",
            "/portal/sessions/",
        ):
            response = portal.get(url)
            assert response.status_code == 200, (url, response.status_code)
    patient_bundle(patient)  # validates itself (ExportInvalid otherwise)


MESSAGE_MARKERS = ("field-error", "error-summary", "errorlist", 'role="alert"', 'role="status"')


def assert_has_messages(response) -> None:
    """A form served back (200) says why: a field message or a summary, never a silent drop."""
    html = response.content.decode()
    assert any(marker in html for marker in MESSAGE_MARKERS), "200 without any message"


# Tables of no record a patient's page shows: the signed-in sessions, the sign-in guard's rows and
# the access log (every page view adds to it; only the administrator's log page reads it).
NOT_A_RECORD = ("django_session", "axes_", "audit_accesslog")
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def wrote_a_record(queries) -> bool:
    """Whether a request's queries changed a record (an insert, update or delete of a table other
    than the session's and the sign-in guard's)."""
    for query in queries:
        sql = query["sql"].lstrip()
        if sql.upper().startswith(WRITES) and not any(name in sql[:80] for name in NOT_A_RECORD):
            return True
    return False


def test_a_write_is_told_from_a_session_or_access_log_row():
    assert wrote_a_record([{"sql": 'UPDATE "patients_patient" SET "weight_kg" = 1'}])
    assert wrote_a_record([{"sql": ' insert into "infusions_vitalsentry" ("x") VALUES (1)'}])
    assert not wrote_a_record([{"sql": 'INSERT INTO "audit_accesslog" ("path") VALUES (1)'}])
    assert not wrote_a_record([{"sql": 'UPDATE "django_session" SET "expire_date" = 1'}])
    assert not wrote_a_record([{"sql": 'SELECT * FROM "patients_patient"'}, {"sql": "SAVEPOINT s1"}])


def database_fingerprint() -> tuple[tuple[str, int, object], ...]:
    """Each table's row count and largest key: equal fingerprints with no write in between mean the
    same records (every change of a record also adds a row to its history table)."""
    return tuple(
        (model._meta.db_table, *model._default_manager.aggregate(n=Count("pk"), top=Max("pk")).values())
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy and not model._meta.db_table.startswith(NOT_A_RECORD)
    )


# The database states whose record was found intact, per test function: an example whose post
# wrote nothing leaves the record as an earlier example found it, so its pages are not rendered
# again. Refused posts are most examples, and the record check is most of an example's cost.
INTACT: dict[str, set] = {}


def check_record(staff: Client, patient, portal: Client | None, wrote: bool) -> None:
    seen = INTACT.setdefault(current_test(), set())
    fingerprint = None if wrote else (patient.pk, portal is not None, database_fingerprint())
    if fingerprint is not None and fingerprint in seen:
        event("record unchanged: checked in an earlier example")
        return
    assert_record_intact(staff, patient, portal)
    if fingerprint is not None:
        seen.add(fingerprint)


def post_and_check(client, form: Form, body: dict, staff: Client, patient_of, portal=None):
    """One example: post, then the assertions of the module docstring. ``patient_of()`` gives the
    record to check after a save (for a create: the one just made)."""
    with transaction.atomic():
        with CaptureQueriesContext(connection) as posted:
            response = client.post(form.action, body)
        assert response.status_code < 500, response.status_code
        wrote = wrote_a_record(posted.captured_queries)
        event(f"{re.sub(r'[0-9]+', 'N', form.action)} -> {response.status_code}")
        if response.status_code in (301, 302, 303):
            landing = client.get(response["Location"])
            assert landing.status_code == 200, (response["Location"], landing.status_code)
            patient = patient_of()
            if patient is not None:
                check_record(staff, patient, portal, wrote)
        elif response.status_code == 200:
            assert_has_messages(response)
            patient = patient_of()
            if patient is not None:  # a 200 may still have saved (a draft): the record holds
                check_record(staff, patient, portal, wrote)
        transaction.set_rollback(True)


def local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


# --- registry, settings, intake, evaluation --------------------------------------------------


@FUZZ
@given(data=st.data())
def test_registry_create_and_edit(data, personas):
    nurse = staff_client(personas.nurse)
    staff = staff_client(personas.prescriber)
    today = timezone.localdate()
    mrn = personas.patient_two.mrn
    baseline = {
        "mrn": "F-0101",
        "given_name": "Fuzz",
        "family_name": "Case",
        "date_of_birth": "1980-01-01",
        "sex": "female",
        "weight_kg": "70",
        "height_cm": "170",
        "measured_on": today.isoformat(),
    }
    targets = {
        "create": (one_form(nurse, "/patients/new/"), baseline),
        "edit": (one_form(nurse, f"/patients/{mrn}/edit/"), {}),
    }
    which = data.draw(st.sampled_from(sorted(targets)), label="form")
    form, base = targets[which]
    body = data.draw(payloads(form, base), label="body")

    def newest():
        return Patient.objects.filter(clinic=personas.clinic_a).order_by("-pk").first()

    post_and_check(nurse, form, body, staff, newest if which == "create" else lambda: personas.patient_two)


@FUZZ
@given(data=st.data())
def test_clinic_settings(data, personas):
    prescriber = staff_client(personas.prescriber)
    form = one_form(prescriber, "/clinic/settings/")
    body = data.draw(payloads(form, {}), label="body")
    with transaction.atomic():
        with CaptureQueriesContext(connection) as posted:
            response = prescriber.post(form.action, body)
        assert response.status_code < 500
        if response.status_code in (301, 302, 303):
            assert prescriber.get(response["Location"]).status_code == 200
        # Whatever was saved: the settings page, readiness and a patient's pages still render.
        assert prescriber.get("/clinic/settings/").status_code == 200
        assert prescriber.get("/clinic/readiness/").status_code == 200
        check_record(prescriber, personas.patient_one, None, wrote_a_record(posted.captured_queries))
        transaction.set_rollback(True)


@FUZZ
@given(data=st.data())
def test_staff_intake_and_questionnaire_assignment(data, personas):
    nurse = staff_client(personas.nurse)
    staff = staff_client(personas.prescriber)
    patient = personas.patient_two
    today = timezone.localdate().isoformat()
    intake_url = f"/patients/{patient.mrn}/consultation/intake/"
    baseline = {
        "referral_reason": "Pain for years.",
        "referred_by": "Dr Who",
        "vitals_on": today,
        "systolic_mmhg": "120",
        "diastolic_mmhg": "80",
        "heart_rate_bpm": "70",
        "spo2_percent": "98",
        "resp_rate_per_min": "14",
        "weight_kg": "70",
        "height_cm": "170",
        "medicines-0-name": "Paracetamol",
        "medicines-0-dose": "1 g",
        "conditions-0-condition_id": "crps-1",
        "conditions-0-onset_on": "2024-01-01",
        "tests-0-kind": "",
        **CLEAR,
    }
    targets = {
        "intake": (one_form(nurse, intake_url, intake_url), baseline),
        "assign": (
            one_form(
                nurse,
                f"/patients/{patient.mrn}/questionnaires/",
                f"/patients/{patient.mrn}/questionnaires/assign/",
            ),
            {},
        ),
    }
    which = data.draw(st.sampled_from(sorted(targets)), label="form")
    form, base = targets[which]
    body = data.draw(payloads(form, base), label="body")
    post_and_check(nurse, form, body, staff, lambda: patient)


@FUZZ
@given(data=st.data())
def test_evaluation(data, personas):
    patient = personas.patient_two

    def setup():
        save_intake(patient, personas.nurse, IntakeChanges(fields=CLEAR, conditions=()), by_patient=False)
        complete_visit(patient, personas.nurse)

    once(personas, "visit", setup)
    prescriber = staff_client(personas.prescriber)
    forms = post_forms(prescriber, f"/patients/{patient.mrn}/consultation/evaluation/")
    assert forms
    form = data.draw(st.sampled_from(forms), label="form")
    body = data.draw(payloads(form, {"decision_reason": "Clinical judgement."}), label="body")
    post_and_check(prescriber, form, body, prescriber, lambda: patient)


# --- plans and local protocols ---------------------------------------------------------------

PROTOCOLS = [
    "spravato-trd",
    "singh-2016-trd",
    "noppers-2011-fibromyalgia",
    "mangnus-2021-crps",
    "sigtermans-2009-crps",
]


@FUZZ
@given(data=st.data())
def test_plan_draft(data, personas, make_ready):  # noqa: F811
    patient = once(personas, "ready", lambda: make_ready(personas.patient_two))
    prescriber = staff_client(personas.prescriber)
    edit = f"/patients/{patient.mrn}/plan/edit/"
    served = prescriber.get(edit)
    options = [f for f in forms_on(served.content.decode()) if f.method == "get"]
    protocols = [o for o in options[0].fields[0].options if o] if options else PROTOCOLS
    protocol = data.draw(st.sampled_from(protocols), label="protocol")
    form = one_form(prescriber, f"{edit}?protocol={protocol}")
    today = timezone.localdate()
    baseline = {
        "protocol": protocol,
        "weight_kg": "70",
        "weight_measured_on": today.isoformat(),
        "start_on": (today + timedelta(days=1)).isoformat(),
        "change_reason": "Fuzz.",
        "conc_mg_per_ml": "1",
        "conc_salt_basis": "hydrochloride",
        "increment_ml_per_h": "0.1",
        "rounding": "down",
        "dose_mg": "56",
        "phase_2_sessions": "4",
    }
    body = data.draw(payloads(form, baseline, pinned=frozenset({"protocol"})), label="body")
    post_and_check(prescriber, form, body, prescriber, lambda: patient)


@FUZZ
@given(data=st.data())
def test_local_protocol(data, personas):
    prescriber = staff_client(personas.prescriber)
    form = one_form(prescriber, "/protocols/new/")
    baseline = {
        "name": "Fuzz protocol",
        "indication": "Test",
        "dose_mg_per_kg": "0.5",
        "duration_min": "40",
        "phase_label": "Induction",
        "per_week_min": "1",
        "per_week_max": "2",
        "weeks": "4",
        "sessions": "8",
        "every_days": "7",
    }
    body = data.draw(payloads(form, baseline), label="body")
    with transaction.atomic():
        response = prescriber.post(form.action, body)
        assert response.status_code < 500
        if response.status_code in (301, 302, 303):
            assert prescriber.get(response["Location"]).status_code == 200
            assert prescriber.get("/protocols/").status_code == 200
            # The new protocol is offered on a ready patient's plan form: that page renders.
            assert prescriber.get(f"/patients/{personas.patient_one.mrn}/plan/edit/").status_code == 200
        transaction.set_rollback(True)


# --- the flowsheet ---------------------------------------------------------------------------


def flowsheet_baselines(now, today) -> dict[str, dict]:
    at = local(now)
    return {
        "pre-checks": {
            "identity_confirmed": "on",
            "last_clear_liquids_at": local(now - timedelta(hours=3)),
            "last_food_at": local(now - timedelta(hours=10)),
            "escort_name": "Ed Escort",
            "escort_phone": "555-0199",
            "no_driving_acknowledged": "on",
            "weight_kg": "70",
            "pain_nrs": "6",
            "mood_0_10": "4",
            "no_new_medications": "on",
            "observed_at": at,
        },
        "events": {
            "kind": "start",
            "observed_at": at,
            "rate_ml_per_h": "52.5",
            "product": "Ketamine 1 mg/mL",
            "conc_mg_per_ml": "1",
            "conc_salt_basis": "hydrochloride",
            "lot_number": "LOT-1",
            "expiry_on": (today + timedelta(days=200)).isoformat(),
        },
        "vitals": {
            "observed_at": at,
            "systolic_mmhg": "120",
            "diastolic_mmhg": "80",
            "heart_rate_bpm": "70",
            "spo2_percent": "98",
            "resp_rate_per_min": "14",
        },
        "scores": {"observed_at": at},
        "side-effects": {
            "effect": "nausea-vomiting",
            "severity": "mild",
            "observed_at": at,
            "actions": ["reassurance"],
            "outcome": "resolved",
            "outcome_at": at,
        },
        "medications": {
            "product": "Ondansetron",
            "dose": "4",
            "dose_unit": "mg",
            "route": "IV",
            "observed_at": at,
            "lot_number": "L-1",
            "expiry_on": (today + timedelta(days=100)).isoformat(),
        },
        "discharge": {
            "destination": "home",
            "escort_present": "yes",
            "escort_name": "Ed Escort",
            "instructions_given": "on",
            "observed_at": at,
        },
        "not-given": {"reason": "Patient unwell today."},
        "addenda": {"text": "Late entry: patient called, well."},
    }


def with_corrections(client: Client, url: str) -> list[Form]:
    """The flowsheet's forms, those kept one click away (drawn when opened) and those of every
    correction page it links to."""
    page = client.get(url).content.decode()
    forms = post_forms(client, url)
    for link in sorted(set(re.findall(r'hx-get="(/patients/[^"]+/forms/[^"]+/)"', page))):
        forms += post_forms(client, link)
    for link in sorted(set(re.findall(r'href="(/patients/[^"]+/correct/[^"]+/)"', page))):
        forms += post_forms(client, link)
    return forms


def baseline_for(action: str, baselines: dict) -> dict:
    for part, values in baselines.items():
        if f"/{part}/" in action:
            return values
    return {}


@FUZZ
@given(data=st.data())
def test_flowsheet_entry_forms(data, personas, chart):  # noqa: F811
    once(personas, "prechecks", lambda: (chart.prechecks(), chart.vitals()))
    nurse = staff_client(personas.nurse)
    patient = personas.patient_one
    url = f"/patients/{patient.mrn}/sessions/{chart.session.pk}/"
    forms = once(personas, "forms", lambda: with_corrections(nurse, url))
    form = data.draw(st.sampled_from(forms), label="form")
    base = baseline_for(form.action, flowsheet_baselines(timezone.now(), timezone.localdate()))
    body = data.draw(payloads(form, base), label="body")
    post_and_check(nurse, form, body, staff_client(personas.prescriber), lambda: patient)


@FUZZ
@given(data=st.data())
def test_signed_session_addendum_and_corrections(data, personas, chart):  # noqa: F811
    once(personas, "signed", lambda: chart.whole_session(sign=True))
    nurse = staff_client(personas.nurse)
    patient = personas.patient_one
    url = f"/patients/{patient.mrn}/sessions/{chart.session.pk}/"
    forms = once(personas, "forms", lambda: with_corrections(nurse, url))
    form = data.draw(st.sampled_from(forms), label="form")
    base = baseline_for(form.action, flowsheet_baselines(timezone.now(), timezone.localdate()))
    body = data.draw(payloads(form, base | {"reason": "Typing error."}), label="body")
    post_and_check(nurse, form, body, staff_client(personas.prescriber), lambda: patient)


# --- outcomes --------------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_liver_results(data, personas):
    nurse = staff_client(personas.nurse)
    patient = personas.patient_one
    form = one_form(nurse, f"/patients/{patient.mrn}/outcomes/liver/")
    baseline = {"test": "alt", "value": "30", "sampled_on": timezone.localdate().isoformat()}
    body = data.draw(payloads(form, baseline), label="body")
    post_and_check(nurse, form, body, staff_client(personas.prescriber), lambda: patient)


# --- the portal ------------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_portal_forms(data, personas):
    patient = personas.patient_one
    assignment = once(
        personas,
        "assigned",
        lambda: assign(
            patient=patient,
            instrument_id="phq-9",
            due_on=timezone.localdate(),
            respondent="patient",
            user=personas.nurse,
        ),
    )
    portal = staff_client(patient.user)
    today = timezone.localdate().isoformat()
    targets = {
        "journal": (
            "/portal/journal/",
            {
                "entry_on": today,
                "pain_nrs": "5",
                "mood": "5",
                "activity": "5",
                "sleep_hours": "7",
                "notes": "Fine day.",
            },
        ),
        "symptoms": (
            "/portal/symptoms/",
            {"symptoms": ["nausea"], "started_on": today, "ongoing": "yes", "details": "Since this morning."},
        ),
        "intake": (
            "/portal/intake/",
            {"referral_reason": "Pain.", "medicines-0-name": "Ibuprofen", "medicines-0-dose": "400 mg"},
        ),
        "questionnaire": (f"/portal/questionnaires/{assignment.pk}/", {}),
    }
    which = data.draw(st.sampled_from(sorted(targets)), label="form")
    url, base = targets[which]
    form = one_form(portal, url)
    body = data.draw(payloads(form, base), label="body")
    post_and_check(portal, form, body, staff_client(personas.prescriber), lambda: patient, portal)
