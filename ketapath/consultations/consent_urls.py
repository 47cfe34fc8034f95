from django.urls import path

from ketapath.consultations import views

app_name = "consent_texts"
urlpatterns = [
    path("", views.consent_text_list, name="list"),
    path("new/", views.consent_text_new, name="new"),
    path("<int:version_id>/", views.consent_text_detail, name="detail"),
]
