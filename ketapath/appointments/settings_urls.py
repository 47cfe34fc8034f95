from django.urls import path

from ketapath.appointments import settings_views as views

app_name = "calendar_settings"
# Under /clinic/calendar/ (ketapath/urls.py), before ``clinic/`` so that it is matched.
urlpatterns = [
    path("", views.page, name="page"),
    path("time-zone/", views.time_zone, name="time_zone"),
    path("opening-hours/", views.opening_hours, name="opening_hours"),
    path("chairs/", views.add_chair, name="add_chair"),
    path("chairs/active/", views.chair_active, name="chair_active"),
]
