from django import template

register = template.Library()


@register.filter
def cents(value) -> str:
    """Integer cents as dollars: 123456 -> "$1,234.56". The one way money is shown."""
    if value is None or value == "":
        return ""
    value = int(value)
    sign = "-" if value < 0 else ""
    dollars, remainder = divmod(abs(value), 100)
    return f"{sign}${dollars:,}.{remainder:02d}"
