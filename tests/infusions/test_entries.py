"""Nothing lost: append-only entries with who, observed and recorded times; a double submit adds
nothing; a correction keeps the original; a signed session is locked."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from ketapath.audit.records import HardDeleteRefused
from ketapath.infusions import actions, flowsheet
from ketapath.infusions.actions import ChartingRefused, SessionLocked
from ketapath.infusions.models import (
    Addendum,
    InfusionEventEntry,
    InfusionSession,
    SessionStatus,
    SideEffectEntry,
    VitalsEntry,
)
from tests.infusions.conftest import key

VITALS = {
    "systolic_mmhg": 120,
    "diastolic_mmhg": 80,
    "heart_rate_bpm": 70,
    "spo2_percent": 98,
    "resp_rate_per_min": 14,
}


def test_an_entry_records_who_when_observed_and_when_recorded(chart):
    observed = chart.clock.now()
    chart.clock.shift(7)  # charted seven minutes later
    entry = actions.record_vitals(
        chart.session, chart.nurse, client_key=key(), observed_at=observed, values=VITALS
    ).entry
    assert entry.recorded_by == chart.nurse
    assert entry.observed_at == observed
    assert entry.recorded_at == timezone.now()
    # Append-only: the rows are their own history (a correction supersedes), no second table.
    assert not hasattr(type(entry), "history")
    with pytest.raises(HardDeleteRefused):
        entry.delete()


def test_an_observation_in_the_future_is_refused(chart):
    from datetime import timedelta

    with pytest.raises(ChartingRefused, match="future"):
        actions.record_vitals(
            chart.session,
            chart.nurse,
            client_key=key(),
            observed_at=chart.clock.now() + timedelta(minutes=5),
            values=VITALS,
        )


def test_a_double_submit_does_not_duplicate(chart):
    same = uuid.uuid4()
    first = actions.record_vitals(
        chart.session, chart.nurse, client_key=same, observed_at=chart.clock.now(), values=VITALS
    )
    second = actions.record_vitals(
        chart.session, chart.nurse, client_key=same, observed_at=chart.clock.now(), values=VITALS
    )
    assert not first.duplicate and second.duplicate
    assert second.entry.pk == first.entry.pk
    assert VitalsEntry.objects.count() == 1


def test_a_form_key_from_another_session_is_refused(chart, personas, planned):
    entry = chart.vitals().entry
    from ketapath.plans.models import PlannedSession

    other_planned = PlannedSession.objects.filter(plan=planned.plan).exclude(pk=planned.pk).first()
    other = InfusionSession.objects.create(
        patient=chart.session.patient, planned_session=other_planned, opened_by=chart.nurse
    )
    with pytest.raises(ChartingRefused, match="another session"):
        actions.record_vitals(
            other, chart.nurse, client_key=entry.client_key, observed_at=chart.clock.now(), values=VITALS
        )


def test_a_correction_supersedes_the_original_which_stays(chart):
    chart.prechecks()
    chart.vitals()
    chart.clock.shift(5)
    wrong = chart.event("start", rate_ml="5.25").entry  # typed 5.25 instead of 52.5
    chart.clock.shift(40)
    chart.event("stop")
    assert flowsheet.load(chart.session).delivery.summary.total_mg == Decimal("3.5")
    with pytest.raises(ChartingRefused, match="why"):
        actions.record_event(
            chart.session,
            chart.nurse,
            client_key=key(),
            observed_at=wrong.observed_at,
            kind="start",
            rate_ml_per_h=Decimal("52.5"),
            drug=actions.Drug("K", Decimal(1), "hydrochloride", "L", wrong.expiry_on),
            supersedes=wrong,
            reason=" ",
        )
    fixed = actions.record_event(
        chart.session,
        chart.nurse,
        client_key=key(),
        observed_at=wrong.observed_at,
        kind="start",
        rate_ml_per_h=Decimal("52.5"),
        drug=actions.Drug("K", Decimal(1), "hydrochloride", "L", wrong.expiry_on),
        supersedes=wrong,
        reason="Rate typed without the decimal point",
    ).entry
    wrong.refresh_from_db()
    assert wrong.record_status == "active" and wrong.rate_ml_per_h == Decimal("5.25")  # kept as it was
    assert fixed.supersedes == wrong and fixed.correction_reason.startswith("Rate typed")
    sheet = flowsheet.load(chart.session)
    assert sheet.delivery.summary.total_mg == Decimal("35")
    assert wrong in sheet.rows.events and wrong not in sheet.cur.events
    assert InfusionEventEntry.objects.count() == 3
    with pytest.raises(ChartingRefused, match="already corrected"):
        actions.record_event(
            chart.session,
            chart.nurse,
            client_key=key(),
            observed_at=wrong.observed_at,
            kind="start",
            rate_ml_per_h=Decimal("50"),
            drug=actions.Drug("K", Decimal(1), "hydrochloride", "L", wrong.expiry_on),
            supersedes=wrong,
            reason="again",
        )


def test_a_withdrawal_takes_an_entry_out_and_keeps_it(chart):
    entry = chart.vitals(sbp=200).entry  # recorded on the wrong patient's flowsheet
    actions.record_vitals(
        chart.session,
        chart.nurse,
        client_key=key(),
        observed_at=entry.observed_at,
        values={},
        supersedes=entry,
        reason="Wrong patient",
        void=True,
    )
    sheet = flowsheet.load(chart.session)
    assert sheet.cur.vitals == []
    assert len(sheet.rows.vitals) == 2
    assert sheet.prechecks.baseline.systolic_mmhg is None


def test_withdrawing_the_start_while_later_events_exist_is_refused(chart):
    chart.prechecks()
    chart.vitals()
    start = chart.event("start", rate_ml="52.5").entry
    chart.clock.shift(10)
    chart.event("pause")
    with pytest.raises(ChartingRefused, match="impossible"):
        actions.record_event(
            chart.session,
            chart.nurse,
            client_key=key(),
            observed_at=start.observed_at,
            kind="",
            supersedes=start,
            reason="test",
            void=True,
        )


def test_a_later_outcome_is_a_correction_of_the_side_effect(chart):
    chart.prechecks()
    chart.vitals()
    chart.event("start", rate_ml="52.5")
    chart.clock.shift(10)
    first = actions.record_side_effect(
        chart.session,
        chart.nurse,
        client_key=key(),
        observed_at=chart.clock.now(),
        effect="nausea-vomiting",
        severity="mild",
        actions=["medication"],
        medication=actions.Medication("Ondansetron", Decimal(4), "mg", "IV", chart.clock.now(), "O1", None),
    ).entry
    assert first.medications.get().product == "Ondansetron"
    chart.clock.shift(15)
    actions.record_side_effect(
        chart.session,
        chart.nurse,
        client_key=key(),
        observed_at=first.observed_at,
        effect="nausea-vomiting",
        severity="mild",
        actions=["medication"],
        outcome="resolved",
        outcome_at=chart.clock.now(),
        supersedes=first,
        reason="Outcome",
    )
    current = flowsheet.load(chart.session).cur.side_effects
    assert [e.outcome for e in current] == ["resolved"]
    assert SideEffectEntry.objects.count() == 2


def test_a_medicine_given_needs_dose_route_and_time(chart):
    with pytest.raises(ChartingRefused, match="Record the medicine given"):
        actions.record_side_effect(
            chart.session,
            chart.nurse,
            client_key=key(),
            observed_at=chart.clock.now(),
            effect="anxiety",
            severity="mild",
            actions=["medication"],
        )
    with pytest.raises(ChartingRefused, match="dose with its unit"):
        actions.record_side_effect(
            chart.session,
            chart.nurse,
            client_key=key(),
            observed_at=chart.clock.now(),
            effect="anxiety",
            severity="mild",
            actions=["medication"],
            medication=actions.Medication("Midazolam", None, "mg", "IV", chart.clock.now()),
        )


def test_signed_means_locked_for_every_entry_and_correction(chart, personas):
    chart.whole_session(sign=True)
    session = InfusionSession.objects.get(pk=chart.session.pk)
    assert session.is_signed and session.status == SessionStatus.DISCHARGED
    entry = VitalsEntry.objects.filter(session=session).first()
    now = chart.clock.now()
    attempts = [
        lambda: actions.record_vitals(session, chart.nurse, client_key=key(), observed_at=now, values=VITALS),
        lambda: actions.record_vitals(
            session,
            chart.nurse,
            client_key=key(),
            observed_at=now,
            values=VITALS,
            supersedes=entry,
            reason="late fix",
        ),
        lambda: actions.record_event(
            session,
            chart.nurse,
            client_key=key(),
            observed_at=now,
            kind="bolus",
            dose_mg=Decimal(5),
            drug=actions.Drug("K", Decimal(1), "hydrochloride", "L", now.date()),
        ),
        lambda: actions.record_score(
            session,
            chart.nurse,
            client_key=key(),
            observed_at=now,
            instrument_id="moaa-s",
            answers={"responsiveness": 5},
        ),
        lambda: actions.record_side_effect(
            session,
            chart.nurse,
            client_key=key(),
            observed_at=now,
            effect="headache",
            severity="mild",
            actions=["none"],
        ),
        lambda: actions.record_precheck(session, chart.nurse, client_key=key(), observed_at=now, values={}),
        lambda: actions.record_discharge(
            session, chart.nurse, client_key=key(), observed_at=now, destination="home"
        ),
        lambda: actions.mark_not_given(session, chart.nurse, "late"),
        lambda: actions.sign_session(session, chart.nurse),
    ]
    for attempt in attempts:
        with pytest.raises(SessionLocked):
            attempt()
    # The co-signature and an addendum are what remains possible.
    with pytest.raises(ChartingRefused, match="Only a prescriber"):
        actions.cosign_session(session, chart.nurse)
    actions.cosign_session(session, personas.prescriber)
    note = actions.add_addendum(session, chart.nurse, client_key=key(), text="Patient phoned: well at home.")
    assert Addendum.objects.get().text == "Patient phoned: well at home." and not note.duplicate
    with pytest.raises(ChartingRefused, match="already co-signed"):
        actions.cosign_session(session, personas.prescriber)


def test_signing_is_refused_while_required_entries_are_missing_and_says_which(chart):
    chart.prechecks()
    chart.vitals()
    chart.event("start", rate_ml="52.5")
    with pytest.raises(ChartingRefused) as refused:
        actions.sign_session(chart.session, chart.nurse)
    problems = refused.value.problems
    assert "No stop of the infusion recorded." in problems
    assert "No vital signs recorded during treatment." in problems
    assert "No sedation (MOAA/S or RASS) score recorded during treatment." in problems
    assert "No dissociation (CADSS-6) score recorded during treatment." in problems
    assert "Discharge not recorded." in problems
    assert InfusionSession.objects.get(pk=chart.session.pk).nurse_signed_at is None


def test_not_given_before_the_start(chart):
    chart.prechecks()
    with pytest.raises(ChartingRefused, match="why"):
        actions.mark_not_given(chart.session, chart.nurse, " ")
    actions.mark_not_given(chart.session, chart.nurse, "Blood pressure high; prescriber deferred.")
    session = InfusionSession.objects.get(pk=chart.session.pk)
    assert session.status == SessionStatus.NOT_GIVEN
    with pytest.raises(ChartingRefused, match="not given"):
        chart.event("start", rate_ml="52.5")
    actions.sign_session(session, chart.nurse)


def test_history_rows_written_for_an_entry_and_the_status(chart):
    chart.prechecks()
    session = InfusionSession.objects.get(pk=chart.session.pk)
    reasons = [h.history_change_reason for h in session.history.order_by("history_id")]
    assert reasons == ["Flowsheet opened", "Status: Pre-checks"]


def test_a_prescriber_who_signed_does_not_co_sign_their_own_session(chart, personas):
    chart.whole_session(sign=False)
    actions.sign_session(chart.session, personas.prescriber)
    with pytest.raises(ChartingRefused, match="someone other"):
        actions.cosign_session(chart.session, personas.prescriber)
