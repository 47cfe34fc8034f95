from django.urls import path

from ketapath.plans import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_page, name="plan"),
    path("edit/", views.plan_edit, name="edit"),
    path("<int:plan_id>/", views.plan_version, name="version"),
    path("<int:plan_id>/approve/", views.plan_approve, name="approve"),
    path("<int:plan_id>/recalculate/", views.plan_recalculate, name="recalculate"),
    path("<int:plan_id>/discard/", views.plan_discard, name="discard"),
    path("<int:plan_id>/schedule/", views.plan_schedule, name="schedule"),
]
