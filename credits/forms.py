from django import forms

from marketplace.formtools import FairleadForm

from . import policy


class ClaimForm(FairleadForm):
    reason = forms.ChoiceField(
        choices=[("", "Choose the reason…")] + [(r.slug, r.label) for r in policy.REASONS],
        label="Why should this lead be credited?",
        error_messages={"invalid_choice": policy.UNKNOWN_REASON},
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,  # the policy declines a claim without notes, with its own words
        label="What happened",
        help_text="Dates, what the homeowner said, what you tried. "
        "Claims without notes are declined.",
    )


class AppealForm(FairleadForm):
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="What the decision missed",
        help_text="You can appeal once; the second decision is final.",
    )
