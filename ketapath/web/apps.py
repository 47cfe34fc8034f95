from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ketapath.web"
    label = "web"
    verbose_name = "Web pages"

    def ready(self) -> None:
        # The pathway strip on the patient's chart overview (ketapath.patients.overview): it reads
        # every pathway app, so this layer, above them all, computes and registers it.
        from ketapath.patients.overview import register_overview_panel
        from ketapath.web.invitations import portal_account_panel
        from ketapath.web.pathway import register

        register()
        # Whether the patient has a portal account (not clinical content: all staff see it).
        register_overview_panel(
            90, "web/_portal_account.html", portal_account_panel, permission="patients.view"
        )
