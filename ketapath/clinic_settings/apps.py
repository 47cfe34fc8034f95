from django.apps import AppConfig


class ClinicSettingsConfig(AppConfig):
    name = "ketapath.clinic_settings"
    label = "clinic_settings"
    verbose_name = "Clinic settings"

    def ready(self) -> None:
        # The eligibility rule book's settings (the clinical core's); each app registers its own.
        from ketapath.clinic_settings.registry import register_settings
        from ketapath.clinical.eligibility import setting_specs

        register_settings(10, "Eligibility", setting_specs)
