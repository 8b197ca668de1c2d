from django import template

from leads.policy import redact_contact
from leads.scoring import shown

register = template.Library()


@register.filter
def preview(lead) -> str:
    """A lead's description with the homeowner's contact masked (before purchase)."""
    return redact_contact(lead.description, lead)


@register.filter
def star(score) -> str:
    """A stored (unrounded) star score as pages show it: rounded down, "" when none."""
    return "" if score is None else str(shown(score))


@register.filter
def minutes_seconds(seconds) -> str:
    """A call's length as people read it: 75 -> "1:15"; "" when unknown."""
    if seconds is None or seconds == "":
        return ""
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"
