"""Form rendering helpers shared by every app's forms."""

import re

from django import forms

from .errors import DomainError
from .money import format_cents


def check_rule(func, *args, **kwargs):
    """Call a service-level rule from a form's clean method: its DomainError becomes the
    field's ValidationError, with the rule's own words."""
    try:
        return func(*args, **kwargs)
    except DomainError as error:
        raise forms.ValidationError(error.message) from None


class AccessibleBoundField(forms.BoundField):
    """Marks fields with errors for assistive tech and Pico's red outline."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors:
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = f"{self.auto_id}_error"
        return attrs


class FairleadForm(forms.Form):
    bound_field_class = AccessibleBoundField
    _check = staticmethod(check_rule)


# A sign before or after the dollar sign; thousands grouped by commas, or not grouped at all.
_DOLLARS = re.compile(
    r"(?P<sign>[-+]?)\$?(?P<sign_after>[-+]?)"
    r"(?P<whole>\d{1,3}(?:,\d{3})+|\d*)(?:\.(?P<fraction>\d*))?"
)


class DollarsField(forms.Field):
    """Money typed as a person writes it, cleaned to integer cents: "25" and "25.00" are
    2500, "-12.50" is -1250, "$1,250.75" is 125075. More than two decimals, or anything that
    is not an amount, is refused with a message saying what to type."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    default_error_messages = {
        "invalid": "Enter dollars and cents, such as 25, 25.00, -12.50 or $1,250.75.",
        "decimals": "Cents have at most two digits: 12.50, not 12.505.",
        "too_large": "Enter at most %(limit)s.",
    }

    def __init__(self, *, max_cents: int | None = None, **kwargs):
        self.max_cents = max_cents
        super().__init__(**kwargs)

    def to_python(self, value):
        text = "".join(str(value or "").split())  # "$ 1,250.75 " as "$1,250.75"
        if not text:
            return None
        match = _DOLLARS.fullmatch(text)
        if (
            match is None
            or (match["sign"] and match["sign_after"])
            or not (match["whole"] or match["fraction"])
        ):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        fraction = match["fraction"] or ""
        if len(fraction) > 2:
            raise forms.ValidationError(self.error_messages["decimals"], code="decimals")
        amount = int(match["whole"].replace(",", "") or 0) * 100 + int(fraction.ljust(2, "0"))
        if self.max_cents is not None and amount > self.max_cents:
            raise forms.ValidationError(
                self.error_messages["too_large"],
                code="too_large",
                params={"limit": format_cents(self.max_cents)},
            )
        return -amount if "-" in (match["sign"], match["sign_after"]) else amount
