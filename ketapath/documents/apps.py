from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "ketapath.documents"
    label = "documents"
    verbose_name = "Documents attached to charts"
