from django.apps import AppConfig


class ClinicSettingsConfig(AppConfig):
    name = "ketapath.clinic_settings"
    label = "clinic_settings"
    verbose_name = "Clinic settings"
