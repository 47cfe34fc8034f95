from django.urls import path

from ketapath.outcomes import views

app_name = "outcomes"
urlpatterns = [
    path("", views.patient_outcomes, name="patient"),
    path("follow-ups/check/", views.sync, name="sync"),
    path("liver/", views.liver, name="liver"),
    path("review/", views.review, name="review"),
    path("reviews/<int:review_id>/", views.review_detail, name="review_detail"),
    path("reviews/<int:review_id>/amend/", views.review_amend, name="review_amend"),
]
