from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "ketapath.plans"
    label = "plans"
    verbose_name = "Treatment plans"
