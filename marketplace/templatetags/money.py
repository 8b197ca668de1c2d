from django import template

from marketplace.money import format_cents

register = template.Library()


@register.filter
def cents(value, plain=False) -> str:
    """`{{ amount_cents|cents }}`: marketplace.money.format_cents in templates."""
    return format_cents(value, plain)
