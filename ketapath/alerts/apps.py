from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "ketapath.alerts"
    label = "alerts"
    verbose_name = "Clinical alerts"

    def ready(self) -> None:
        # This app's panel on the patient's chart overview (ketapath.patients.overview).
        from ketapath.alerts.overview import register_panels
        from ketapath.alerts.settings_specs import setting_specs
        from ketapath.clinic_settings.registry import register_settings

        register_panels()
        # Who is told of a critical alert, and when: listed last on the settings page.
        register_settings(50, "Critical alerts", setting_specs)
