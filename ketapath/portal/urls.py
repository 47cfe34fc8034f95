from django.urls import path

from ketapath.portal import questionnaire_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("questionnaires/", questionnaire_views.questionnaires, name="questionnaires"),
    path(
        "questionnaires/<int:assignment_id>/",
        questionnaire_views.questionnaire_fill,
        name="questionnaire_fill",
    ),
]
