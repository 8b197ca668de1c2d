from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Marketplace"

    def ready(self):
        from . import checks  # noqa: F401 - importing it registers the system checks
