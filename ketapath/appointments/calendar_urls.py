from django.urls import path

from ketapath.appointments import calendar_views

app_name = "calendar"
# Under /calendar/ (ketapath/urls.py).
urlpatterns = [
    path("", calendar_views.page, name="page"),
]
