from django.urls import include, path

from ketapath.web import views as web_views

urlpatterns = [
    path("", web_views.dashboard, name="dashboard"),
    path("health/", web_views.health, name="health"),
    path("accounts/", include("ketapath.accounts.urls")),
    path("patients/", include("ketapath.patients.urls")),
    path("audit/", include("ketapath.audit.urls")),
    path("portal/", include("ketapath.portal.urls")),
]
