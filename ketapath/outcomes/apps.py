from django.apps import AppConfig
from django.db.models.signals import post_save
from django.urls import reverse


class OutcomesConfig(AppConfig):
    name = "ketapath.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes and follow-up"

    def ready(self) -> None:
        # Imported here, not at the top: these modules import models, which need the app registry.
        from ketapath.outcomes.worsening import on_response_saved

        # A completed score on a watched instrument is checked for worsening (an alert if so).
        post_save.connect(
            on_response_saved,
            sender="questionnaires.QuestionnaireResponse",
            dispatch_uid="outcomes-worsening-check",
        )
        # Where this app's alerts are answered: review notes, the follow-up schedule.
        from ketapath.outcomes import alert_links

        alert_links.register()
        # Follow-up, reminders and laboratory limits, on the clinic settings page.
        from ketapath.clinic_settings.registry import register_settings
        from ketapath.outcomes.clinic_choices import setting_specs

        register_settings(40, "Follow-up and reminders", setting_specs)
        try:
            from ketapath.alerts.links import register_answer_link
        except ImportError:  # pragma: no cover - the alerts app without answer links
            return
        # An alert on a liver result leads to that result on the outcomes page.
        register_answer_link("outcomes.LiverTestResult", _liver_link)


def _liver_link(origin: object, patient: object) -> str:
    url = reverse("outcomes:patient", kwargs={"mrn": patient.mrn})  # type: ignore[attr-defined]
    return f"{url}#liver-result-{origin.pk}"  # type: ignore[attr-defined]
