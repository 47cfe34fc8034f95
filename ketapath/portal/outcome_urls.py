"""The chart's outcomes pages (namespace ``outcomes``): the outcomes app's own pages, and the
outcomes page itself, which shows the patient's portal journal and so lives in the portal layer."""

from django.urls import path

from ketapath.outcomes import urls as outcome_pages
from ketapath.portal import clinician_journal

app_name = "outcomes"
urlpatterns = [
    path("", clinician_journal.patient_outcomes, name="patient"),
    *outcome_pages.urlpatterns,
]
