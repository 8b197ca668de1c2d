"""The project's URLs as the URLconf has them, for tests that try every one: a URL added
tomorrow is covered the day it is added."""

import re

from django.urls import URLPattern, URLResolver, get_resolver

# A route's parameters, in path() syntax (<int:pk>) or a regex group ((?P<pk>…)).
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")


def named_routes() -> list[tuple[str, str, list[str]]]:
    """(namespaced URL name, route, the route's parameters) for every named pattern."""
    found = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(
                    pattern.url_patterns,
                    route,
                    ":".join(filter(None, [namespace, pattern.namespace])),
                )
            elif isinstance(pattern, URLPattern) and pattern.name:
                parameters = [a or b for a, b in PARAMETER.findall(route)]
                found.append((":".join(filter(None, [namespace, pattern.name])), route, parameters))

    walk(get_resolver().url_patterns, "", "")
    return found
