"""How analytics ratios and durations read: integers in, words out, no floats."""

from django import template

register = template.Library()

DASH = "—"


@register.filter
def percent(bp) -> str:
    """Basis points as a percentage with one decimal when it has one: 6667 → "66.7%"."""
    if bp is None or bp == "":
        return DASH
    tenths = (int(bp) + 5) // 10
    whole, decimal = divmod(tenths, 10)
    return f"{whole:,}.{decimal}%" if decimal else f"{whole:,}%"


@register.filter
def times(bp) -> str:
    """Basis points as a multiple: 711864 → "71.2×"; a return below 1× reads "0.4×"."""
    if bp is None or bp == "":
        return DASH
    tenths = (int(bp) + 500) // 1000
    return f"{tenths // 10:,}.{tenths % 10}×"


@register.filter
def duration(seconds) -> str:
    """Seconds as the largest two units: 45 s, 20 min, 1 h 5 min, 2 d 3 h."""
    if seconds is None or seconds == "":
        return DASH
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@register.filter
def talk_time(seconds) -> str:
    """A call's length as a phone shows it: 78 → "1:18", 3725 → "1:02:05"."""
    if seconds is None or seconds == "":
        return DASH
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def plain_percent(bp) -> str:
    """For CSV: 6667 → "66.67"; empty when there is no base."""
    if bp is None:
        return ""
    sign = "-" if bp < 0 else ""
    whole, hundredths = divmod(abs(int(bp)), 100)
    return f"{sign}{whole}.{hundredths:02d}"


def plain_multiple(bp) -> str:
    """For CSV: 711864 → "71.1864"."""
    if bp is None:
        return ""
    whole, rest = divmod(int(bp), 10_000)
    return f"{whole}.{rest:04d}"
