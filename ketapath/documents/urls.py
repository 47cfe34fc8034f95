from django.urls import path

from ketapath.documents import views

app_name = "documents"
urlpatterns = [
    path("", views.document_list, name="list"),
    path("upload/", views.document_upload, name="upload"),
    path("<int:document_id>/", views.document_file, name="file"),
    path("<int:document_id>/entered-in-error/", views.document_mark_in_error, name="mark_in_error"),
]
