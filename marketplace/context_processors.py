from django.conf import settings


def site(request):
    return {"SITE_NAME": "Fairlead", "DEBUG": settings.DEBUG}
