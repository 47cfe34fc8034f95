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
        # The open weekdays, so that a plan dates its sessions on them (the plans app sits below
        # this one and cannot read the opening hours itself).
        from ketapath.plans.open_days import register_open_weekdays

        register_open_weekdays(open_weekdays)


def open_weekdays(clinic_id: int) -> frozenset[int] | None:
    """The weekdays with opening hours (one query); None when the clinic has set none at all."""
    from ketapath.appointments.models import OpeningHours  # here: this module loads before the models

    days = frozenset(OpeningHours.objects.filter(clinic_id=clinic_id).values_list("weekday", flat=True))
    return days or None
