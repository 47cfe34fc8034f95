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
        # How dates and times are shown (display preferences with a default), listed last.
        from ketapath.clinic_settings import display

        register_settings(90, "Display", display.setting_specs)
