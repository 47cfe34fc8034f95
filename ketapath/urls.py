from django.urls import include, path

from ketapath.web import views as web_views
from ketapath.web.invitations import patient_account_urlpatterns

urlpatterns = [
    path("", web_views.dashboard, name="dashboard"),
    path("health/", web_views.health, name="health"),
    path("accounts/", include("ketapath.accounts.urls")),
    path("accounts/", include("ketapath.web.password_reset")),
    path("accounts/", include("ketapath.web.two_factor")),
    path("accounts/", include("ketapath.web.invitations")),
    path("clinic/staff/", include("ketapath.web.staff")),
    path("patients/", include("ketapath.patients.urls")),
    path("patients/<mrn:mrn>/portal-account/", include((patient_account_urlpatterns, "portal_account"))),
    path("patients/<mrn:mrn>/questionnaires/", include("ketapath.questionnaires.urls")),
    path("patients/<mrn:mrn>/consultation/", include("ketapath.consultations.urls")),
    path("clinic/consent/", include("ketapath.consultations.consent_urls")),
    path("patients/<mrn:mrn>/plan/", include("ketapath.plans.urls")),
    path("protocols/", include("ketapath.plans.protocol_urls")),
    path("patients/<mrn:mrn>/sessions/", include("ketapath.infusions.urls")),
    path("patients/<mrn:mrn>/documents/", include("ketapath.documents.urls")),
    path("patients/<mrn:mrn>/appointments/", include("ketapath.appointments.urls")),
    path("sessions/today/", include("ketapath.infusions.day_urls")),
    path("portal/sessions/", include("ketapath.infusions.portal_urls")),
    path("instruments/", include("ketapath.questionnaires.instrument_urls")),
    path("alerts/", include("ketapath.alerts.urls")),
    path("calendar/", include("ketapath.appointments.calendar_urls")),
    path("clinic/calendar/", include("ketapath.appointments.settings_urls")),
    path("clinic/", include("ketapath.clinic_settings.urls")),  # settings/ and readiness/
    path("pk/", include("ketapath.pk.urls")),
    path("audit/", include("ketapath.audit.urls")),
    path("portal/", include("ketapath.portal.urls")),
    path("patients/<mrn:mrn>/outcomes/", include("ketapath.portal.outcome_urls")),
    path("outcomes/cohort/", include("ketapath.outcomes.report_urls")),
    path("clinic/tips/", include("ketapath.portal.tips_urls")),
]
