from django.urls import path

from ketapath.outcomes import views

app_name = "cohort"
urlpatterns = [
    path("", views.cohort_page, name="report"),
    path("export.csv", views.cohort_csv, name="csv"),
]
