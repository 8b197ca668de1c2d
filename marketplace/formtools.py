"""Form rendering helpers shared by every app's forms."""

from django import forms

from .errors import DomainError


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
