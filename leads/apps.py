from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"

    def ready(self):
        # Imported here, once the apps are loaded: queries modules import models.
        from territories.queries import use_lead_volume

        from .queries import lead_volume

        # Territory pricing counts leads per zip; territories cannot import leads.
        use_lead_volume(lead_volume)

        from django.db.models.signals import post_delete, post_save

        from marketplace import localcache

        from .models import BlockedContact

        # Not business flow: each process's copy of the block list is dropped on a change.
        for signal in (post_save, post_delete):
            signal.connect(
                localcache.blocked_contacts.invalidate_on_change,
                sender=BlockedContact,
                dispatch_uid="localcache-blocked-contacts",
            )
