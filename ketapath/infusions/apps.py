from django.apps import AppConfig


class InfusionsConfig(AppConfig):
    name = "ketapath.infusions"
    label = "infusions"
    verbose_name = "Infusion sessions"

    def ready(self) -> None:
        from ketapath.infusions import alert_links

        alert_links.register()
        # The flowsheet's thresholds and monitoring choices, on the clinic settings page.
        from ketapath.clinic_settings.registry import register_settings
        from ketapath.infusions.settings_specs import setting_specs

        register_settings(30, "Infusion sessions", setting_specs)
