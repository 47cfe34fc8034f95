from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "ketapath.consultations"
    label = "consultations"
    verbose_name = "Consultation and evaluation"

    def ready(self) -> None:
        # This app's panel on the patient's chart overview (ketapath.patients.overview).
        from ketapath.consultations.overview import register_panels

        register_panels()
        # Where this app's alerts are answered (ketapath.alerts.links).
        from ketapath.consultations import alert_links

        alert_links.register()
