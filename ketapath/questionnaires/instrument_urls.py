from django.urls import path

from ketapath.questionnaires import views

app_name = "instruments"
urlpatterns = [
    path("", views.instrument_list, name="list"),
    path("<str:instrument_id>/", views.instrument_detail, name="detail"),
    path("<str:instrument_id>/fhir/", views.instrument_fhir, name="fhir"),
]
