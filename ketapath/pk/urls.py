from django.urls import path

from ketapath.pk import views

app_name = "pk"
urlpatterns = [path("", views.pk_page, name="page")]
