from django.apps import AppConfig


class OkrsConfig(AppConfig):
    name = "okrs"
    verbose_name = "OKRs"

    def ready(self):
        from okrs import audit

        audit.register()
