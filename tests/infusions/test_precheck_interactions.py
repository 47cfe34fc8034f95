"""The pre-checks show the patient's medication list checked against the planned drug, with the
same cited interaction rules the evaluation shows (issue 12: interactions surfaced in the
evaluation and in the pre-checks)."""

from __future__ import annotations

from django.urls import reverse

from ketapath.consultations.actions import IntakeChanges, RowChange, save_intake


def flowsheet_url(session):
    return reverse("infusions:flowsheet", kwargs={"mrn": session.patient.mrn, "session_id": session.pk})


def test_a_benzodiazepine_on_the_list_shows_in_the_prechecks(session, personas, client, login):
    # Andrashko 2020 (data/interactions.toml): benzodiazepines may blunt ketamine's effect.
    save_intake(
        session.patient,
        personas.nurse,
        IntakeChanges(medicines=(RowChange(None, {"name": "Lorazepam", "dose": "1 mg", "since": None}),)),
        by_patient=False,
    )
    login(personas.nurse)
    page = client.get(flowsheet_url(session)).content.decode()
    section = page.split('id="precheck-interactions"', 1)[1].split("</table>", 1)[0]
    assert "Lorazepam" in section and "benzodiazepines" in section.lower()
    assert "No interaction found" not in section


def test_a_medicine_with_no_rule_is_listed_as_checked(session, personas, client, login):
    save_intake(
        session.patient,
        personas.nurse,
        IntakeChanges(medicines=(RowChange(None, {"name": "Sertraline", "dose": "50 mg", "since": None}),)),
        by_patient=False,
    )
    login(personas.nurse)
    page = client.get(flowsheet_url(session)).content.decode()
    section = page.split('id="precheck-interactions"', 1)[1].split("</table>", 1)[0]
    assert "No interaction found in the medication list." in section
