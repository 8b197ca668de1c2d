"""Row ids as the outside world sends them: in a URL, or as a number in a request body."""

MAX_ID = 10**18 - 1  # 18 digits: fits every 64-bit id column, SQLite's included


class IdConverter:
    """A row's id in a URL (`<id:pk>`): at most 18 digits, so every value fits a 64-bit
    column. A longer number is a 404 from the URL itself, not an overflow in the database
    driver (SQLite refuses integers past 2^63 with a 500)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)
