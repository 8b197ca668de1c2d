from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"

    def ready(self):
        # Imported here, once the apps are loaded: queries modules import models.
        from territories.queries import use_lead_volume

        from .queries import lead_volume

        # Territory pricing counts leads per zip; territories cannot import leads.
        use_lead_volume(lead_volume)
