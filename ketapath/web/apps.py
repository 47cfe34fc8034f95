from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ketapath.web"
    label = "web"
    verbose_name = "Web pages"

    def ready(self) -> None:
        # The pathway strip on the patient's chart overview (ketapath.patients.overview): it reads
        # every pathway app, so this layer, above them all, computes and registers it.
        from ketapath.web.pathway import register

        register()
