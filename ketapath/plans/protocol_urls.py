from django.urls import path

from ketapath.plans import views

app_name = "protocols"
urlpatterns = [
    path("", views.protocol_list, name="list"),
    path("new/", views.protocol_new, name="new"),
    path("<str:protocol_id>/", views.protocol_detail, name="detail"),
    path("<str:protocol_id>/retire/", views.protocol_retire, name="retire"),
]
