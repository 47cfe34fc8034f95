from django.urls import path

from ketapath.consultations import portal_views as consultation_views
from ketapath.portal import care_views, questionnaire_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("questionnaires/", questionnaire_views.questionnaires, name="questionnaires"),
    path(
        "questionnaires/<int:assignment_id>/",
        questionnaire_views.questionnaire_fill,
        name="questionnaire_fill",
    ),
    path("intake/", consultation_views.intake, name="intake"),
    path("consent/", consultation_views.consent, name="consent"),
    path("appointments/", care_views.appointments, name="appointments"),
    path("appointments.ics", care_views.appointments_ics, name="appointments_ics"),
    path("appointments/change/", care_views.appointment_change, name="appointment_change"),
    path("tips/", care_views.tips, name="tips"),
    path("journal/", care_views.journal, name="journal"),
    path("progress/", care_views.progress, name="progress"),
    path("symptoms/", care_views.symptom_report, name="symptoms"),
]
