from django.urls import path

from ketapath.clinic_settings import views

app_name = "clinic_settings"
urlpatterns = [
    path("settings/", views.settings_page, name="page"),
    path("readiness/", views.readiness_page, name="readiness"),
]
