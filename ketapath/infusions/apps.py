from django.apps import AppConfig


class InfusionsConfig(AppConfig):
    name = "ketapath.infusions"
    label = "infusions"
    verbose_name = "Infusion sessions"
