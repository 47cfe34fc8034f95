from django.urls import path

from ketapath.infusions import views

app_name = "infusion_day"
urlpatterns = [
    path("", views.today, name="today"),
]
