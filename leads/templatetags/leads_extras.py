from django import template

from leads.policy import redact_contact

register = template.Library()


@register.filter
def preview(lead) -> str:
    """A lead's description with the homeowner's contact masked (before purchase)."""
    return redact_contact(lead.description, lead)
