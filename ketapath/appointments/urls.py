"""A patient's appointments on the chart (mounted at ``patients/<mrn>/appointments/``)."""

from django.urls import path

from ketapath.appointments import views

app_name = "appointments"
urlpatterns = [
    path("", views.patient_appointments, name="patient"),
    path("course/", views.book_course, name="book_course"),
    path("visit/", views.book_visit, name="book_visit"),
    path("<int:appointment_id>/reschedule/", views.reschedule, name="reschedule"),
    path("<int:appointment_id>/cancel/", views.cancel, name="cancel"),
    path("<int:appointment_id>/no-show/", views.no_show, name="no_show"),
]
