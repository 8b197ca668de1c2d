"""JSON parsing that a hostile body cannot turn into a 500.

Python's json module recurses once per nested array or object: a 2 KB body of 1,000 `[`
raised RecursionError (a 500) on every DRF endpoint, anonymous ones included. The depth
is measured first, by a flat scan that never recurses, and a body nested deeper than any
request of ours needs is refused with 400.
"""

import codecs
import json
import re

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32

# The characters that matter for depth: brackets, and the quotes and backslashes that say
# whether a bracket is inside a string.
SIGNIFICANT = re.compile(r'[\[\]{}"\\]')


def json_too_deep(text: str, *, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects nest deeper than `limit` (brackets inside strings do not
    count). One left-to-right pass, linear in the text whatever it holds (an unterminated
    string of escaped quotes included), stopping at the first bracket beyond the limit."""
    depth = 0
    in_string = False
    escaped_at = -1  # the position of the character a backslash escapes
    for match in SIGNIFICANT.finditer(text):
        position, char = match.start(), match.group()
        if position == escaped_at:
            continue
        if in_string:
            if char == "\\":
                escaped_at = position + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def loads(text: str):
    """json.loads for untrusted text: ValueError when too deep or not storable text
    (a lone surrogate such as "\\ud800" cannot be encoded to UTF-8, so not saved)."""
    if json_too_deep(text):
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    data = json.loads(text)
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a string is not valid Unicode (lone surrogate)") from None
    return data


class SafeJSONParser(JSONParser):
    """DRF's JSONParser, with the depth limit and the Unicode check of `loads`."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return loads(text)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
