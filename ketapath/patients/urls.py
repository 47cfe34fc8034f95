from django.urls import path

from ketapath.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("<str:mrn>/", views.patient_detail, name="detail"),
    path("<str:mrn>/edit/", views.patient_edit, name="edit"),
    path("<str:mrn>/history/", views.patient_history, name="history"),
    path("<str:mrn>/entered-in-error/", views.patient_mark_in_error, name="mark_in_error"),
]
