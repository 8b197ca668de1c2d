from django.conf import settings


def site(request):
    return {
        "SITE_NAME": "Fairlead",
        "DEBUG": settings.DEBUG,
        # The credit policy's terms as the settings make them (pages never hard-code them).
        "CREDIT_WINDOW_DAYS": settings.CREDIT_CLAIM_WINDOW_DAYS,
        "CREDIT_REVIEW_DAYS": settings.CREDIT_REVIEW_BUSINESS_DAYS,
    }
