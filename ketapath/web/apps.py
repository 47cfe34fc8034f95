from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ketapath.web"
    label = "web"
    verbose_name = "Web pages"
