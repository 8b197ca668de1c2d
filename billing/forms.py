from django import forms

from marketplace.formtools import FairleadForm

from .services import MAX_TOP_UP_CENTS, MIN_TOP_UP_CENTS

TOP_UP_CHOICES = [(5_000, "$50"), (10_000, "$100"), (25_000, "$250"), (50_000, "$500")]


class TopUpForm(FairleadForm):
    amount_dollars = forms.IntegerField(
        min_value=MIN_TOP_UP_CENTS // 100,
        max_value=MAX_TOP_UP_CENTS // 100,
        initial=100,
        label="Amount in dollars",
        help_text=f"Between ${MIN_TOP_UP_CENTS // 100} and ${MAX_TOP_UP_CENTS // 100:,}.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "list": "top-up-amounts"}),
    )

    @property
    def amount_cents(self) -> int:
        return self.cleaned_data["amount_dollars"] * 100
