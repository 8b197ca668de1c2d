from django import forms
from django.core.validators import URLValidator

from .errors import DomainError
from .formtools import FairleadForm
from .models import (
    MAX_RADIUS_MILES,
    MIN_RADIUS_MILES,
    WEB_SCHEMES,
    Contractor,
    ServiceCategory,
    validate_web_address,
)
from .services import ProfileChanges, get_zip, normalize_phone, parse_zip_list
from .templatetags.phone import phone

US_TIME_ZONES = [
    ("America/New_York", "Eastern (New York)"),
    ("America/Chicago", "Central (Chicago)"),
    ("America/Denver", "Mountain (Denver)"),
    ("America/Phoenix", "Mountain, no DST (Phoenix)"),
    ("America/Los_Angeles", "Pacific (Los Angeles)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
    ("America/Puerto_Rico", "Atlantic (Puerto Rico)"),
]


class ContractorProfileForm(FairleadForm):
    """Onboarding and settings: one form, so both always ask for the same things."""

    business_name = forms.CharField(max_length=120, label="Business name")
    phone = forms.CharField(
        max_length=32,
        label="Business phone",
        help_text="Homeowners call this number; text alerts go here too.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    website = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Website (optional)",
        validators=[
            URLValidator(schemes=WEB_SCHEMES, message="Enter a web address (https://…)."),
            validate_web_address,
        ],
    )
    base_zip = forms.CharField(
        max_length=5,
        label="Base zip code",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    categories = forms.ModelMultipleChoiceField(
        queryset=ServiceCategory.objects.filter(active=True).order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        label="Services you offer",
        error_messages={"required": "Choose at least one service category."},
    )
    area_mode = forms.ChoiceField(
        choices=Contractor.AreaMode.choices,
        widget=forms.RadioSelect,
        label="Service area",
        initial=Contractor.AreaMode.RADIUS,
    )
    service_radius_miles = forms.IntegerField(
        required=False,
        min_value=MIN_RADIUS_MILES,
        max_value=MAX_RADIUS_MILES,
        initial=25,
        label="Radius in miles",
        help_text=f"{MIN_RADIUS_MILES} to {MAX_RADIUS_MILES} miles around your base zip.",
    )
    service_zip_list = forms.CharField(
        required=False,
        label="Zip codes you serve",
        help_text="Separate with commas or spaces, e.g. 92101, 92103, 92104.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    is_paused = forms.BooleanField(
        required=False, label="Pause new offers (vacation, fully booked)"
    )
    daily_lead_cap = forms.IntegerField(
        min_value=1, max_value=1000, initial=5, label="Leads per day, at most"
    )
    weekly_lead_cap = forms.IntegerField(
        min_value=1, max_value=5000, initial=20, label="Leads per week, at most"
    )
    monthly_budget_dollars = forms.IntegerField(
        min_value=1,
        max_value=1_000_000,
        initial=500,
        label="Monthly lead budget, in dollars",
        help_text="We stop offering you leads once this month's purchases reach it.",
    )
    notify_email = forms.BooleanField(required=False, initial=True, label="Email")
    notify_sms = forms.BooleanField(required=False, label="Text message (SMS)")
    notify_in_app = forms.BooleanField(required=False, initial=True, label="In the dashboard")
    quiet_hours_start = forms.TimeField(
        required=False, label="Quiet from", widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_hours_end = forms.TimeField(
        required=False, label="Quiet until", widget=forms.TimeInput(attrs={"type": "time"})
    )
    timezone = forms.ChoiceField(
        choices=[("", "From my base zip")] + US_TIME_ZONES, required=False, label="Time zone"
    )

    @classmethod
    def initial_for(cls, contractor: Contractor) -> dict:
        if not contractor.is_onboarded:
            return {}
        return {
            "business_name": contractor.business_name,
            "phone": phone(contractor.phone),
            "website": contractor.website,
            "base_zip": contractor.base_zip_id,
            "categories": list(contractor.categories.all()),
            "area_mode": contractor.area_mode,
            "service_radius_miles": contractor.service_radius_miles,
            "service_zip_list": contractor.service_zip_list.replace(" ", ", "),
            "is_paused": contractor.is_paused,
            "daily_lead_cap": contractor.daily_lead_cap,
            "weekly_lead_cap": contractor.weekly_lead_cap,
            "monthly_budget_dollars": contractor.monthly_budget_cents // 100,
            "notify_email": contractor.notify_email,
            "notify_sms": contractor.notify_sms,
            "notify_in_app": contractor.notify_in_app,
            "quiet_hours_start": contractor.quiet_hours_start,
            "quiet_hours_end": contractor.quiet_hours_end,
            "timezone": contractor.timezone,
        }

    def clean_phone(self):
        return self._check(normalize_phone, self.cleaned_data["phone"])

    def clean_base_zip(self):
        return self._check(get_zip, self.cleaned_data["base_zip"])

    def clean(self):
        data = super().clean()
        mode = data.get("area_mode")
        if mode == Contractor.AreaMode.RADIUS and data.get("service_radius_miles") is None:
            if "service_radius_miles" not in self.errors:
                self.add_error("service_radius_miles", "Enter a radius in miles.")
        if mode == Contractor.AreaMode.ZIP_LIST and "service_zip_list" not in self.errors:
            try:
                parse_zip_list(data.get("service_zip_list", ""))
            except DomainError as error:
                self.add_error("service_zip_list", error.message)
        return data

    def changes(self) -> ProfileChanges:
        data = self.cleaned_data
        base_zip = data["base_zip"]
        return ProfileChanges(
            business_name=data["business_name"].strip(),
            phone=data["phone"],
            website=data["website"],
            base_zip=base_zip,
            categories=list(data["categories"]),
            area_mode=data["area_mode"],
            service_radius_miles=data.get("service_radius_miles") or 25,
            service_zip_list=data.get("service_zip_list", ""),
            is_paused=data["is_paused"],
            daily_lead_cap=data["daily_lead_cap"],
            weekly_lead_cap=data["weekly_lead_cap"],
            monthly_budget_cents=data["monthly_budget_dollars"] * 100,
            notify_email=data["notify_email"],
            notify_sms=data["notify_sms"],
            notify_in_app=data["notify_in_app"],
            quiet_hours_start=data.get("quiet_hours_start"),
            quiet_hours_end=data.get("quiet_hours_end"),
            timezone=data.get("timezone") or base_zip.timezone or "America/New_York",
        )
