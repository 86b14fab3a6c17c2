from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "portfolio"
    verbose_name = "Portfolios and products"

    def ready(self):
        from portfolio import audit

        audit.register()
