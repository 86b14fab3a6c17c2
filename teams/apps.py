from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "People and teams"

    def ready(self):
        from teams import sessions  # noqa: F401 - connects the sign-in signal
