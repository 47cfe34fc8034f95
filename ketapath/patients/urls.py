from django.urls import path

from ketapath.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("<mrn:mrn>/", views.patient_detail, name="detail"),
    path("<mrn:mrn>/edit/", views.patient_edit, name="edit"),
    path("<mrn:mrn>/history/", views.patient_history, name="history"),
    path("<mrn:mrn>/entered-in-error/", views.patient_mark_in_error, name="mark_in_error"),
]
