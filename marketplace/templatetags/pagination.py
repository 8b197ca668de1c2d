from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, number) -> str:
    """This page's query string with another page number: filters are kept."""
    query = context["request"].GET.copy()
    query["page"] = number
    return "?" + query.urlencode()
