from django.urls import path

from ketapath.consultations import views

app_name = "consultations"
urlpatterns = [
    path("intake/", views.intake, name="intake"),
    path("intake/questionnaires/", views.assign_questionnaires, name="assign_questionnaires"),
    path("intake/complete/", views.visit_complete, name="visit_complete"),
    path("evaluation/", views.evaluation, name="evaluation"),
    path("evaluation/save/", views.evaluation_save, name="evaluation_save"),
    path("evaluation/amend/", views.evaluation_amend, name="evaluation_amend"),
    path("evaluation/<int:evaluation_id>/", views.evaluation_version, name="evaluation_version"),
    path("consent/", views.consent, name="consent"),
    path("consent/record/", views.consent_record, name="consent_record"),
    path("consent/<int:consent_id>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
]
