from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Marketplace"

    def ready(self):
        from django.db.models.signals import post_delete, post_save
        from django.urls import register_converter

        from .converters import IdConverter

        # Before any URLconf is read: the apps' urls.py use <id:...> for row ids.
        register_converter(IdConverter, "id")

        from . import (
            checks,  # noqa: F401 - importing it registers the system checks
            localcache,
        )
        from .models import ServiceCategory, ZipCode

        # Not business flow: each process's copy of these tables is dropped when one changes.
        for model, copy in [(ServiceCategory, localcache.categories), (ZipCode, localcache.zips)]:
            for signal in (post_save, post_delete):
                signal.connect(
                    copy.invalidate_on_change, sender=model, dispatch_uid=f"localcache-{copy.name}"
                )
