from django.urls import path

from ketapath.infusions import views

app_name = "infusion_portal"
urlpatterns = [
    path("", views.my_sessions, name="sessions"),
]
