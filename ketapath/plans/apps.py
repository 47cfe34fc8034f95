from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "ketapath.plans"
    label = "plans"
    verbose_name = "Treatment plans"

    def ready(self) -> None:
        # This app's panel on the patient's chart overview (ketapath.patients.overview).
        from ketapath.plans.overview import register_panels

        register_panels()
        # The plans' dosing limits and pumps, on the clinic settings page.
        from ketapath.clinic_settings.registry import register_settings
        from ketapath.plans.limits import setting_specs

        register_settings(20, "Treatment plans", setting_specs)
