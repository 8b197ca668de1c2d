from django import template

register = template.Library()


@register.filter
def cents(value, plain=False) -> str:
    """Integer cents as dollars: 123456 -> "$1,234.56". The one way money is shown.

    `plain` gives "1234.56" (no symbol, no separators) for CSV files.
    """
    if value is None or value == "":
        return ""
    value = int(value)
    sign = "-" if value < 0 else ""
    dollars, remainder = divmod(abs(value), 100)
    if plain:
        return f"{sign}{dollars}.{remainder:02d}"
    return f"{sign}${dollars:,}.{remainder:02d}"
