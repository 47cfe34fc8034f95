from django.apps import AppConfig


class QuestionnairesConfig(AppConfig):
    name = "ketapath.questionnaires"
    label = "questionnaires"
    verbose_name = "Questionnaires"

    def ready(self) -> None:
        # This app's panel on the patient's chart overview (ketapath.patients.overview).
        from ketapath.questionnaires.overview import register_panels

        register_panels()
        # Where this app's alerts are answered (ketapath.alerts.links).
        from ketapath.questionnaires import alert_links

        alert_links.register()
