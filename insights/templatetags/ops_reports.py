from django import template

from insights.reports import may_see_reports as _may_see_reports

register = template.Library()


@register.filter
def may_see_reports(user) -> bool:
    """Show the Reports link in the admin only to those who may open it."""
    return _may_see_reports(user)
