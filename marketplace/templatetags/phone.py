import phonenumbers
from django import template

register = template.Library()


@register.filter
def phone(value) -> str:
    """A stored E.164 number as people write it: "+16195550147" -> "(619) 555-0147".

    The one way pages show a phone (links keep E.164: `tel:{{ number }}`). Numbers outside
    the +1 plan read internationally; anything unparsable is shown as stored."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(str(value), None)
    except phonenumbers.NumberParseException:
        return str(value)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 1
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)
