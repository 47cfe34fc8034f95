from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "ketapath.portal"
    label = "portal"
    verbose_name = "Patient portal"

    def ready(self) -> None:
        from ketapath.portal import alert_links

        alert_links.register()
