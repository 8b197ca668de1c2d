"""The analytics period and the ops report filters."""

from datetime import timedelta

from django import forms

from marketplace.formtools import FairleadForm

from .analytics import (
    DATE_FORMAT_ERROR,
    DATE_RANGE_ERROR,
    DEFAULT_PRESET,
    EARLIEST,
    LATEST,
    PRESETS,
    period_errors,
    preset_dates,
    resolve_period,
)
from .reports import GRANULARITIES, PLACES, granularity_error

DATE_ERRORS = {"invalid": DATE_FORMAT_ERROR}


class PeriodForm(FairleadForm):
    """A period as a preset (?preset=this_year) or From and Through dates, both days
    included. `dates` is then [start, end) for analytics.period_errors() and Period."""

    def __init__(self, data, *, today):

        super().__init__(data)
        self.today = today
        date_input = {"type": "date", "max": "2100-12-31"}
        self.fields["from"] = forms.DateField(
            label="From",
            required=False,
            widget=forms.DateInput(attrs=date_input, format="%Y-%m-%d"),
            error_messages=DATE_ERRORS,
        )
        self.fields["through"] = forms.DateField(
            label="Through",
            required=False,
            widget=forms.DateInput(attrs=date_input, format="%Y-%m-%d"),
            error_messages=DATE_ERRORS,
        )
        self.fields["preset"] = forms.ChoiceField(
            choices=[("", "Custom"), *PRESETS.items()],
            required=False,
            error_messages={"invalid_choice": "Pick one of the listed periods."},
        )
        self.dates = None

    def clean(self):

        data = super().clean()
        for name in ["from", "through"]:
            if data.get(name) and not EARLIEST <= data[name] < LATEST:
                self.add_error(name, DATE_RANGE_ERROR)
        if self.errors:
            return data
        start, through = data.get("from"), data.get("through")
        preset = data.get("preset") or ("" if start or through else DEFAULT_PRESET)
        if preset:
            start, end = preset_dates(preset, today=self.today)
        else:  # the form's Through is the last day; the period's end is the day after
            start, end = resolve_period(
                start, through and through + timedelta(days=1), today=self.today
            )
        for key, message in period_errors(start, end, today=self.today).items():
            self.add_error("from" if key == "start" else "through", message)
        if not self.errors:
            self.dates = (start, end)
            self.preset = preset
        return data


class OpsReportForm(PeriodForm):
    """The ops report's period (days in the viewer's zone), its time step and its places."""

    def __init__(self, data, *, today):

        super().__init__(data, today=today)
        self.fields["granularity"] = forms.ChoiceField(
            label="By",
            choices=list(GRANULARITIES.items()),
            required=False,
            error_messages={"invalid_choice": "Pick day, week or month."},
        )
        self.fields["place"] = forms.ChoiceField(
            label="Places",
            choices=list(PLACES.items()),
            required=False,
            error_messages={"invalid_choice": "Pick state or metro."},
        )

    def clean(self):

        data = super().clean()
        data["granularity"] = data.get("granularity") or "week"
        data["place"] = data.get("place") or "state"
        if self.dates and (message := granularity_error(*self.dates, data["granularity"])):
            self.add_error("granularity", message)
            self.dates = None
        return data
