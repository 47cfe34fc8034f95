from django.urls import path

from ketapath.questionnaires import views

app_name = "questionnaires"
urlpatterns = [
    path("", views.patient_questionnaires, name="patient"),
    path("assign/", views.assign_questionnaire, name="assign"),
    path("fill/<str:instrument_id>/", views.fill_questionnaire, name="fill"),
    path("responses/<int:response_id>/", views.response_detail, name="response"),
    path("responses/<int:response_id>/review/", views.response_review, name="review"),
]
