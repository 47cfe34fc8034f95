from django.urls import include, path

from ketapath.web import views as web_views

urlpatterns = [
    path("", web_views.dashboard, name="dashboard"),
    path("health/", web_views.health, name="health"),
    path("accounts/", include("ketapath.accounts.urls")),
    path("patients/", include("ketapath.patients.urls")),
    path("patients/<str:mrn>/questionnaires/", include("ketapath.questionnaires.urls")),
    path("instruments/", include("ketapath.questionnaires.instrument_urls")),
    path("alerts/", include("ketapath.alerts.urls")),
    path("clinic/settings/", include("ketapath.clinic_settings.urls")),
    path("audit/", include("ketapath.audit.urls")),
    path("portal/", include("ketapath.portal.urls")),
]
