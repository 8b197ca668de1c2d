"""Money shown to people: integer cents as dollars. Services, views, CSV exports and the
`|cents` template filter (templatetags/money.py) all call format_cents."""


def format_cents(value, plain=False) -> str:
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
