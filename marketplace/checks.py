"""System checks for settings that are valid one by one but wrong together."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_proxy_is_counted(app_configs, **kwargs):
    """Trusting a proxy's X-Forwarded-Proto with PROXY_COUNT=0 means every request's address
    is the proxy's: one rate-limit bucket and one django-axes lockout for all visitors."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and not settings.PROXY_COUNT:
        return [
            Warning(
                "A proxy's X-Forwarded-Proto header is trusted (TRUST_X_FORWARDED_PROTO) but "
                "PROXY_COUNT is 0, so every visitor has the proxy's address: they share one "
                "quote rate limit, and failed log-ins lock an account for everyone.",
                hint="Set PROXY_COUNT to the number of proxies in front of the app "
                "(PROXY_COUNT=1 behind one TLS proxy, as docker-compose.yml does).",
                id="fairlead.W001",
            )
        ]
    return []


@register()
def check_notification_sweep_waits_for_the_time_limit(app_configs, **kwargs):
    """The sweep takes a message still sending after NOTIFICATION_STUCK_AFTER for one whose
    worker died; a send the task time limit still allows would be sent twice."""
    limit = settings.CELERY_TASK_TIME_LIMIT
    if limit and settings.NOTIFICATION_STUCK_AFTER.total_seconds() <= limit:
        return [
            Warning(
                f"NOTIFICATION_STUCK_AFTER_MINUTES ({settings.NOTIFICATION_STUCK_AFTER}) is not "
                f"longer than the task time limit ({limit} s): a message still being sent can "
                "be taken for lost and sent again.",
                hint=f"Set NOTIFICATION_STUCK_AFTER_MINUTES above {limit // 60}.",
                id="fairlead.W002",
            )
        ]
    return []
