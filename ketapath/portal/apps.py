from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "ketapath.portal"
    label = "portal"
    verbose_name = "Patient portal"
