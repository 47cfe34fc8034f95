from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "ketapath.alerts"
    label = "alerts"
    verbose_name = "Clinical alerts"

    def ready(self) -> None:
        # This app's panel on the patient's chart overview (ketapath.patients.overview).
        from ketapath.alerts.overview import register_panels

        register_panels()
