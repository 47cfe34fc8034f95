"""Issue 13, the portal: far dates, absurd values and megabytes of text get a field message and save
nothing (form and database); every value the database can hold still renders, in the portal, the
chart's outcomes page and the FHIR export."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketapath.portal.models import JournalEntry, SymptomReport

TODAY = timezone.localdate()
MEGABYTE = "=HYPERLINK(1)<script>x</script>" + "é" * 1_000_000


@pytest.mark.parametrize(
    "started_on",
    ["0001-01-01", "1850-01-01", (TODAY - timedelta(days=800)).isoformat(), "9999-12-31"],
)
def test_a_symptom_starting_at_an_implausible_date_is_refused(personas, login, started_on):
    client = login(personas.patient_one.user)
    response = client.post(
        "/portal/symptoms/",
        {"symptoms": ["nausea"], "started_on": started_on, "client_key": str(uuid.uuid4())},
    )
    assert response.status_code == 200 and "field-error" in response.content.decode()
    assert not SymptomReport.objects.exists()


def test_a_symptom_report_of_megabytes_is_refused(personas, login):
    client = login(personas.patient_one.user)
    response = client.post(
        "/portal/symptoms/", {"symptoms": ["nausea"], "details": MEGABYTE, "client_key": str(uuid.uuid4())}
    )
    assert response.status_code == 200 and "field-error" in response.content.decode()
    assert not SymptomReport.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"pain_nrs": "99"},
        {"pain_nrs": "-1"},
        {"sleep_hours": "NaN"},
        {"sleep_hours": "Infinity"},
        {"sleep_hours": "1e308"},
        {"sleep_hours": "25"},
        {"mood": "11"},
        {"entry_on": "0001-01-01"},
        {"entry_on": "9999-12-31"},
        {"notes": MEGABYTE},
        {"side_effects": ["not-a-side-effect"]},
    ],
)
def test_absurd_journal_values_are_refused(personas, login, change):
    client = login(personas.patient_one.user)
    data = {"entry_on": TODAY.isoformat(), "pain_nrs": "4"} | change
    response = client.post("/portal/journal/", data)
    assert response.status_code == 200 and "field-error" in response.content.decode()
    assert not JournalEntry.objects.exists()


@pytest.mark.parametrize(
    "values",
    [
        {"pain_nrs": 11},
        {"mood": 300},
        {"activity": 11},
        {"sleep_hours": Decimal("25")},
        {"sleep_hours": Decimal("-1")},
        {"entry_on": date(1, 1, 1)},
        {"entry_on": date(9999, 12, 31)},
        {"notes": "x" * 4001},
    ],
)
def test_the_database_refuses_absurd_journal_values(personas, values):
    fields = {"patient": personas.patient_one, "entry_on": TODAY, "pain_nrs": 3} | values
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalEntry.objects.create(**fields)


@pytest.mark.parametrize(
    "values", [{"started_on": date(1, 1, 1)}, {"started_on": date(9999, 12, 31)}, {"details": "x" * 4001}]
)
def test_the_database_refuses_absurd_symptom_reports(personas, values):
    fields = {
        "patient": personas.patient_one,
        "symptoms": ["nausea"],
        "reported_by": personas.patient_one.user,
        "client_key": uuid.uuid4(),
    } | values
    with pytest.raises(IntegrityError), transaction.atomic():
        SymptomReport.objects.create(**fields)


ODD_JSON = [["nausea", "not-a-code", 7, None, ["x"], {"a": 1}], "nausea", 42, {"nausea": True}, None, []]


@pytest.mark.parametrize("odd", ODD_JSON)
def test_every_storable_value_renders(personas, login, odd):
    """Written straight to the database: the extremes the constraints allow, and odd JSON."""
    patient = personas.patient_one
    JournalEntry.objects.create(
        patient=patient,
        entry_on=TODAY,
        pain_nrs=10,
        sleep_hours=Decimal("24.0"),
        mood=0,
        activity=10,
        side_effects=odd if odd is not None else [],
        notes="=cmd|' /C calc'!A0 <script>alert(1)</script>" + "x" * 3900,
    )
    JournalEntry.objects.create(patient=patient, entry_on=TODAY - timedelta(days=1), pain_nrs=0)
    SymptomReport.objects.create(
        patient=patient,
        symptoms=odd if odd is not None else [],
        started_on=date(2000, 1, 1),
        details="@SUM(1) " + "y" * 3990,
        reported_by=patient.user,
        client_key=uuid.uuid4(),
    )
    client = login(patient.user)
    for url in (
        "/portal/",
        "/portal/journal/",
        "/portal/symptoms/",
        "/portal/progress/",
        f"/portal/journal/?day={TODAY.isoformat()}",
        "/portal/journal/?day=9999-99-99",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"<script>alert(1)</script>" not in response.content
    staff = login(personas.nurse)
    assert staff.get(f"/patients/{patient.mrn}/outcomes/").status_code == 200

    from ketapath.portal.fhir import portal_resources

    assert portal_resources(patient)
