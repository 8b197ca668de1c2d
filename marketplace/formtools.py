"""Form rendering helpers shared by every app's forms."""

from django import forms


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
