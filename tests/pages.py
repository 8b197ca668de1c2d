"""Reading pages in tests."""

import re


def says_utc(text: str) -> bool:
    """ "UTC" as a word: a page must never show it, but a CSRF token's random letters may
    spell it (…O5OUTCkH…), which is not the page saying it."""
    return re.search(r"\bUTC\b", text) is not None
