from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "ketapath.alerts"
    label = "alerts"
    verbose_name = "Clinical alerts"
