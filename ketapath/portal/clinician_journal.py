"""The chart's outcomes page: the pathway's outcomes with what the patient wrote in the portal.

The page reads the patient's journal and symptom reports (portal records) next to the outcomes
app's scores, follow-ups, liver results and reviews, so it sits in the portal layer: the outcomes
app below it never reads portal data. Its URL keeps its name, ``outcomes:patient``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketapath.accounts.policy import requires
from ketapath.outcomes.assessment import gather, snapshot
from ketapath.outcomes.charts import journal_chart
from ketapath.outcomes.followups import follow_up_rows
from ketapath.outcomes.labs import liver_panel
from ketapath.outcomes.models import OutcomeReview
from ketapath.patients.access import patient_for
from ketapath.patients.models import Patient
from ketapath.portal.models import JournalEntry, SymptomReport
from ketapath.portal.symptoms import symptoms

#: How many journal entries (newest first) the chart shows and charts.
JOURNAL_SHOWN = 30
#: How many symptom reports (newest first) the chart lists.
REPORTS_SHOWN = 10


def patient_side(patient: Patient) -> dict[str, Any]:
    """The patient's latest symptom reports (with their symptoms named) and journal entries."""
    labels = {code: s.label for code, s in symptoms().items()}
    reports = list(
        SymptomReport.objects.active().filter(patient=patient).order_by("-reported_at")[:REPORTS_SHOWN]
    )
    journal = list(
        JournalEntry.objects.active().filter(patient=patient).order_by("-entry_on")[:JOURNAL_SHOWN]
    )
    return {
        "reports": [(r, [labels.get(c, c) for c in r.symptom_codes()]) for r in reports],
        "journal": journal,
    }


@requires("clinical.view")
def patient_outcomes(request: HttpRequest, mrn: str) -> HttpResponse:
    patient = patient_for(request, mrn, permission="clinical.view")
    today = timezone.localdate()
    outcomes = gather(patient, today)
    reviews = list(
        OutcomeReview.objects.active()
        .filter(patient=patient)
        .select_related("signed_by", "plan_version")
        .order_by("-version")
    )
    side = patient_side(patient)
    return render(
        request,
        "outcomes/patient.html",
        {
            "liver": liver_panel(patient, outcomes.sessions),
            "patient": patient,
            "o": outcomes,
            "s": snapshot(outcomes),
            "follow": follow_up_rows(patient, today),
            "reviews": reviews,
            "draft": next((r for r in reviews if r.is_draft), None),
            "journal_chart": journal_chart(side["journal"], outcomes.sessions) if side["journal"] else None,
            "today": today,
            **side,
        },
    )
