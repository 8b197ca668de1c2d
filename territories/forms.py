from django import forms

from marketplace.formtools import FairleadForm, check_rule
from marketplace.models import ServiceCategory

from . import services
from .metros import METROS

RADIUS_CHOICES = [
    (1, "1 mile"),
    (5, "5 miles"),
    (10, "10 miles"),
    (15, "15 miles"),
    (25, "25 miles"),
]


class CategoryField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=ServiceCategory.objects.filter(active=True),
            to_field_name="slug",
            label="Service",
            empty_label=None,
            error_messages={"invalid_choice": "Pick a service from the list."},
            **kwargs,
        )


class SearchForm(FairleadForm):
    """Which zips to show: a metro, or the zips around a zip code, or a city's."""

    category = CategoryField()
    q = forms.CharField(
        label="City or zip code",
        required=False,
        max_length=80,
        widget=forms.TextInput(attrs={"placeholder": "78701 or Austin, TX"}),
    )
    radius = forms.TypedChoiceField(
        label="Around a zip code", choices=RADIUS_CHOICES, coerce=int, initial=5, required=False
    )
    metro = forms.ChoiceField(
        label="Or a whole metro",
        choices=[("", "—")] + [(m.slug, m.name) for m in METROS],
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("metro") and data.get("q"):
            raise forms.ValidationError("Search a city or zip code, or pick a metro, not both.")
        return data


class OrderForm(FairleadForm):
    """The zips picked on the map or in the table, for one service."""

    category = CategoryField()
    zip_codes = forms.MultipleChoiceField(
        choices=(), error_messages={"required": "Pick at least one zip code."}
    )
    expected_total_cents = forms.IntegerField(required=False, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any 5-digit code is a valid choice here; clean_zip_codes checks the catalog.
        codes = self.data.getlist("zip_codes") if hasattr(self.data, "getlist") else []
        self.fields["zip_codes"].choices = [(c, c) for c in codes]

    def clean_zip_codes(self):
        return check_rule(services.zip_codes_named, self.cleaned_data["zip_codes"])
