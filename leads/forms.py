import time

from django import forms
from django.core import signing
from django.utils import timezone

from marketplace import clock, localcache
from marketplace.errors import DomainError
from marketplace.formtools import DollarsField, FairleadForm
from marketplace.http import client_ip
from marketplace.middleware import UTM_KEYS, attribution
from marketplace.models import Contractor, ServiceCategory

from . import policy, services
from .models import ContactAttempt, Lead, Purchase

STARTED_SALT = "leads.quote-form.started"
STARTED_MAX_AGE = 24 * 3600  # a form left open longer than a day is shown again


class CategoryChoiceField(forms.ModelChoiceField):
    """A category choice read from this process's copy of the categories
    (marketplace.localcache) when the form offers every active one (`cached`)."""

    cached = False

    def to_python(self, value):
        if not self.cached or value in self.empty_values:
            return super().to_python(value)
        try:
            pk = int(value)
        except (TypeError, ValueError):
            pk = None
        category = pk and localcache.categories.get(
            ("pk", pk), lambda: ServiceCategory.objects.filter(pk=pk).first()
        )
        if not category or not category.active:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return category


class QuoteRequestForm(FairleadForm):
    """The public quote form. Its rules are the service's, shared with the API."""

    category = CategoryChoiceField(
        queryset=ServiceCategory.objects.filter(active=True).order_by("name"),
        empty_label="Choose a service…",
        label="What do you need?",
        error_messages={"required": "Choose a service.", "invalid_choice": "Choose a service."},
    )
    zip_code = forms.CharField(
        max_length=10,
        label="Zip code of the job",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    street_address = forms.CharField(
        max_length=200,
        required=False,
        label="Street address (optional)",
        help_text="Only shared with the pros you are matched with.",
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    description = forms.CharField(
        label="Describe the job",
        help_text="What needs doing, and anything a pro should know before calling.",
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": policy.DESCRIPTION_MAX_CHARS}),
    )
    timeframe = forms.ChoiceField(
        choices=Lead.Timeframe.choices, widget=forms.RadioSelect, label="When?"
    )
    job_size = forms.ChoiceField(
        choices=Lead.JobSize.choices,
        widget=forms.RadioSelect,
        label="How big is the job?",
        initial=Lead.JobSize.MEDIUM,
    )
    ownership = forms.ChoiceField(
        choices=Lead.Ownership.choices, widget=forms.RadioSelect, label="The property"
    )
    name = forms.CharField(
        max_length=120, label="Your name", widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        max_length=32,
        label="Phone",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        max_length=254, label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    preferred_contact = forms.ChoiceField(
        choices=Lead.ContactMethod.choices,
        widget=forms.RadioSelect,
        label="Best way to reach you",
        initial=Lead.ContactMethod.PHONE,
    )
    one_pro_only = forms.BooleanField(
        required=False, label="Only one pro, please (instead of up to three)"
    )
    consent = forms.BooleanField(
        error_messages={"required": "Please agree so pros can contact you about this job."},
    )
    # Spam defences: a field people never see, and the time the form was shown (signed).
    website = forms.CharField(required=False, label="Leave this empty")
    started = forms.CharField(required=False, widget=forms.HiddenInput)
    # Source of the request, carried from the page that showed the form.
    referrer = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)
    landing_page = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)
    utm_source = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    utm_medium = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    utm_campaign = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    utm_term = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    utm_content = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args, contractor: Contractor | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.contractor = contractor
        self.consent_text = policy.consent_text(
            pro_name=contractor.business_name if contractor else None
        )
        self.fields["consent"].label = self.consent_text
        if contractor is not None:
            self.fields["category"].queryset = contractor.categories.filter(active=True).order_by(
                "name"
            )
        else:
            self.fields["category"].cached = True

    @classmethod
    def initial_from(cls, request) -> dict:
        """The form's hidden fields: the source from this URL, else from the first page of
        the visit (AttributionMiddleware)."""
        first = attribution(request)
        initial = {
            "started": signing.dumps(time.time(), salt=STARTED_SALT),
            "referrer": first.get("referrer") or request.META.get("HTTP_REFERER", "")[:500],
            "landing_page": first.get("landing_page") or request.get_full_path()[:500],
        }
        for key in UTM_KEYS:
            initial[f"utm_{key}"] = request.GET.get(f"utm_{key}", "")[:100] or first.get(
                "utm", {}
            ).get(key, "")
        category = request.GET.get("category")
        if category:
            initial["category"] = ServiceCategory.objects.filter(slug=category).first()
        if request.GET.get("zip"):
            initial["zip_code"] = request.GET["zip"][:10]
        return initial

    def clean_zip_code(self):
        return self._check(services.clean_zip, self.cleaned_data["zip_code"])

    def clean_phone(self):
        return self._check(services.clean_phone, self.cleaned_data["phone"])

    def clean_description(self):
        return self._check(services.clean_description, self.cleaned_data["description"])

    def clean_category(self):
        return self._check(services.clean_category, self.cleaned_data["category"])

    def clean(self):
        data = super().clean()
        if data.get("website"):
            raise forms.ValidationError(
                "Your request looks automated, so it was not sent. Please try again."
            )
        try:
            started = signing.loads(
                data.get("started") or "", salt=STARTED_SALT, max_age=STARTED_MAX_AGE
            )
        except signing.BadSignature:
            started = None
        if started is None:
            raise forms.ValidationError(
                "This form expired. Please check your details and send it again."
            )
        if time.time() - float(started) < policy.min_fill_seconds():
            raise forms.ValidationError(
                "That was quick! Please check your details, then send the request again."
            )
        if self.contractor is not None and "category" in data and "zip_code" in data:
            try:
                services.clean_profile_contractor(
                    self.contractor, category=data["category"], zip_code=data["zip_code"]
                )
            except DomainError as error:
                self.add_error(error.field if error.field in self.fields else None, error.message)
        return data

    def quote_request(self) -> services.QuoteRequest:
        data = self.cleaned_data
        return services.QuoteRequest(
            category=data["category"],
            zip_code=data["zip_code"],
            street_address=data["street_address"],
            description=data["description"],
            timeframe=data["timeframe"],
            job_size=data["job_size"],
            ownership=data["ownership"],
            name=data["name"],
            phone=data["phone"],
            email=data["email"],
            preferred_contact=data["preferred_contact"],
            one_pro_only=data["one_pro_only"],
            profile_contractor=self.contractor,
        )

    def submission(self, request) -> services.Submission:
        data = self.cleaned_data
        return services.Submission(
            consent_text=self.consent_text,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            referrer=data.get("referrer", ""),
            landing_page=data.get("landing_page", ""),
            channel="web",
            utm={key: data.get(f"utm_{key}", "") for key in UTM_KEYS},
        )


LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"  # what a datetime-local input sends and shows


class ContactAttemptForm(FairleadForm):
    """The time is typed as the contractor's own clock showed it, in their zone; the
    service gets an aware datetime. Empty means now."""

    channel = forms.ChoiceField(choices=ContactAttempt.Channel.choices, label="How")
    result = forms.ChoiceField(choices=ContactAttempt.Result.choices, label="Result")
    attempted_at = forms.DateTimeField(
        required=False,
        input_formats=[LOCAL_INPUT_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT_FORMAT),
    )
    note = forms.CharField(required=False, max_length=300, label="Note (optional)")

    def __init__(self, *args, time_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = clock.zone(time_zone)
        now = clock.local_now(self.zone)
        self.fields["attempted_at"].label = f"When (your time, {now:%Z})"
        self.fields["attempted_at"].help_text = (
            f"Your time zone is {self.zone.key}. Log each attempt within "
            f"{policy.contact_log_window_words()} of making it: entries made later are "
            "kept but are no evidence for a non-contact credit."
        )
        if not self.is_bound:
            self.initial.setdefault("attempted_at", f"{now:{LOCAL_INPUT_FORMAT}}")

    def full_clean(self):
        # A naive time typed here is read in the contractor's zone, whatever zone the
        # request runs in.
        with timezone.override(self.zone):
            super().full_clean()


class OutcomeForm(FairleadForm):
    # The outcome shown when the page was opened: saving compares and sets from it, so an
    # update made meanwhile (another tab, the API) is not overwritten.
    was = forms.ChoiceField(
        choices=Purchase.Outcome.choices, widget=forms.HiddenInput, required=False
    )
    outcome = forms.ChoiceField(choices=Purchase.Outcome.choices, label="Where this job stands")
    # Dollars and cents as a person writes them ("1250.50"); the form gives integer cents.
    final_value_dollars = DollarsField(
        required=False, max_cents=1_000_000_000, label="Final job value ($), if won"
    )

    def clean_final_value_dollars(self):
        cents_value = self.cleaned_data["final_value_dollars"]
        if cents_value is not None and cents_value <= 0:
            raise forms.ValidationError("Enter the amount you were paid for the job.")
        return cents_value

    lost_reason = forms.CharField(required=False, max_length=200, label="Why it was lost, if lost")


# --- Analytics period (contractor page and ops reports) ------------------------------------
