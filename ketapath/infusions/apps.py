from django.apps import AppConfig


class InfusionsConfig(AppConfig):
    name = "ketapath.infusions"
    label = "infusions"
    verbose_name = "Infusion sessions"

    def ready(self) -> None:
        from ketapath.infusions import alert_links

        alert_links.register()
