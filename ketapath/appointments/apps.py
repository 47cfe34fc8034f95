from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "ketapath.appointments"
    label = "appointments"
    verbose_name = "Appointments and the clinic's calendar"

    def ready(self) -> None:
        # The booking settings (observation after a session, the gap between two appointments in a
        # chair), on the clinic settings page.
        from ketapath.appointments.settings_specs import setting_specs
        from ketapath.clinic_settings.registry import register_settings

        register_settings(35, "Appointments", setting_specs)
