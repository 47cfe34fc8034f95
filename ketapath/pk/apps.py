from django.apps import AppConfig


class PkConfig(AppConfig):
    name = "ketapath.pk"
    label = "pk"
    verbose_name = "Pharmacokinetics"
