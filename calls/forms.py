from django import forms

from marketplace.formtools import FairleadForm


class CallSettingsForm(FairleadForm):
    enabled = forms.BooleanField(required=False, label="Take live calls from homeowners")
    ring_number = forms.CharField(
        max_length=32,
        required=False,
        label="Number to ring",
        help_text="Your cell or office line, e.g. (512) 555-0147. We prove it is yours with "
        "a test call that says a code.",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


class CodeForm(FairleadForm):
    code = forms.CharField(
        max_length=12,
        label="The code the call said",
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "size": 6}
        ),
    )
