"""The demo's follow-up and outcomes: DEMO-0001's twelve weeks, responders and non-responders,
an overdue item for the nurses, signed reviews; loading twice adds nothing."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ketapath.demo.load import load_demo
from ketapath.outcomes.cohort import cohort_report
from ketapath.outcomes.followups import overdue_follow_ups
from ketapath.outcomes.models import FollowUp, OutcomeReview
from ketapath.patients.models import Patient
from ketapath.portal.models import JournalEntry, SymptomReport
from ketapath.questionnaires.models import QuestionnaireResponse


def counts():
    return (
        FollowUp.objects.count(),
        QuestionnaireResponse.objects.count(),
        JournalEntry.objects.count(),
        OutcomeReview.objects.count(),
        SymptomReport.objects.count(),
    )


def test_demo_outcomes(demo):
    today = timezone.localdate()
    alex = Patient.objects.get(mrn="DEMO-0001")
    journal = JournalEntry.objects.filter(patient=alex)
    assert journal.count() > 60 and journal.order_by("entry_on").first().entry_on <= today - timedelta(
        weeks=11
    )
    pain = QuestionnaireResponse.objects.filter(patient=alex, instrument_id="nrs-pain", respondent="patient")
    assert pain.order_by("completed_at").first().completed_at.date() <= today - timedelta(weeks=11)
    assert FollowUp.objects.filter(patient=alex, kind="post-session").count() >= 5
    assert FollowUp.objects.filter(patient=alex, assignment__status="assigned", due_on=today).exists()

    report = cohort_report(alex.clinic_id)
    assert report.overall.pain_moderate >= 2 and report.overall.pain_classified > report.overall.pain_moderate
    assert report.overall.phq_remission >= 1 and report.overall.phq_classified > report.overall.phq_response
    assert report.overall.review_flagged >= 2 and report.overall.relapse_days
    assert report.overall.side_effects and report.overall.bp_alerts
    assert FollowUp.objects.filter(patient__mrn="DEMO-0012", code="course-w12").count() == 5
    assert overdue_follow_ups(alex.clinic_id, today, 10)[1] >= 3
    assert set(OutcomeReview.objects.values_list("patient__mrn", "decision")) == {
        ("DEMO-0012", "booster"),
        ("DEMO-0017", "stop"),
    }
    booster = OutcomeReview.objects.get(patient__mrn="DEMO-0012")
    assert booster.plan_version.version == 2 and booster.plan_version.status == "draft"
    assert SymptomReport.objects.filter(patient__mrn="DEMO-0013").exists()

    before = counts()
    load_demo()
    assert counts() == before
