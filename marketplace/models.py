"""Accounts, the service catalog (categories and zip codes) and contractor profiles.

The zip catalog lives here rather than in territories/ because contractor service areas
need it and models only depend leftward (marketplace ← billing ← territories ← leads ← credits).
"""

import zoneinfo
from urllib.parse import urlsplit

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
    URLValidator,
)
from django.db import models
from django.db.models.functions import Lower

from marketplace.history import HistoricalRecords

zip_validator = RegexValidator(r"^\d{5}$", "Enter a 5-digit US zip code.")

MIN_RADIUS_MILES = 1
MAX_RADIUS_MILES = 100


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value} is not a time zone we know.")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in: a contractor or a member of staff. The email is the login."""

    username = None
    email = models.EmailField("email address", unique=True)
    # Staff read and type times in the admin in their own zone (a contractor's pages use
    # the contractor profile's zone).
    timezone = models.CharField(
        "time zone",
        max_length=40,
        default="America/New_York",
        validators=[validate_timezone],
        help_text="Times in the admin are shown in this zone, e.g. America/Chicago.",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        # However it is created (signup, admin, shell), an email is stored in one case.
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)


class ServiceCategory(models.Model):
    """A kind of job homeowners ask for. What a small, a typical (medium) and a large job of
    it is worth sets a lead's estimate, and so its 1% price (leads.policy)."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.CharField(max_length=200, blank=True)
    small_job_value_cents = models.PositiveIntegerField(
        validators=[MinValueValidator(1)],
        help_text="A small job (a repair or a quick job) in cents: the estimate of a lead "
        "marked Small.",
    )
    typical_job_value_cents = models.PositiveIntegerField(
        validators=[MinValueValidator(100)],
        help_text="A typical job in cents: the estimate of a lead marked Medium.",
    )
    large_job_value_cents = models.PositiveIntegerField(
        validators=[MinValueValidator(100)],
        help_text="A large job (a replacement or a big project) in cents: the estimate of a "
        "lead marked Large.",
    )
    active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "service categories"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(typical_job_value_cents__gte=100),
                name="category_typical_value_at_least_one_dollar",
            ),
            models.CheckConstraint(
                condition=models.Q(small_job_value_cents__gt=0)
                & models.Q(small_job_value_cents__lt=models.F("typical_job_value_cents"))
                & models.Q(typical_job_value_cents__lt=models.F("large_job_value_cents")),
                name="category_job_values_by_size_in_order",
                violation_error_message="A small job must be worth less than a typical one, "
                "and a typical one less than a large one.",
            ),
        ]

    def __str__(self):
        return self.name


class ZipCode(models.Model):
    """A US zip code from the catalog shipped in the `zipcodes` package."""

    class Kind(models.TextChoices):
        STANDARD = "STANDARD", "Standard"
        PO_BOX = "PO BOX", "PO box"
        UNIQUE = "UNIQUE", "Unique (single organisation)"
        MILITARY = "MILITARY", "Military"

    code = models.CharField(max_length=5, primary_key=True, validators=[zip_validator])
    city = models.CharField(max_length=64)
    state = models.CharField(max_length=2)
    county = models.CharField(max_length=64, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    timezone = models.CharField(max_length=40, blank=True)
    area_codes = models.CharField(
        max_length=80, blank=True, help_text="Telephone area codes, comma-separated."
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STANDARD)
    active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        indexes = [
            # queries.zips_within(): bounding box on latitude, then longitude.
            models.Index(fields=["latitude", "longitude"], name="zip_lat_lon_idx"),
            # Directory and territory search by city within a state.
            models.Index(fields=["state", "city"], name="zip_state_city_idx"),
        ]

    def __str__(self):
        return f"{self.code} {self.city}, {self.state}"

    @property
    def place(self) -> str:
        return f"{self.city}, {self.state}"


WEB_SCHEMES = ["http", "https"]


def web_address_problem(url: str) -> str:
    """Why `url` is not a plain web address a homeowner can be sent to, or "".

    Browsers and Python read some addresses differently: `https://a.example\\@b.example/`
    is b.example to Python and a.example to Chromium (which reads the backslash as a
    slash). So the interstitial could name one site and open another. A plain address has
    no backslash, no user name or password before the host, and no spaces or control
    characters; then both read the same host.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return "Enter a web address (https://…)."
    if "\\" in url or any(ord(char) <= 32 or ord(char) == 127 for char in url):
        return "A web address has no spaces, backslashes or control characters."
    if "@" in parts.netloc:
        return "Enter the address without a user name or password (nothing before an “@”)."
    return ""


def validate_web_address(value: str) -> None:
    problem = web_address_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid")


class Contractor(models.Model):
    """A contractor's business profile, what they serve and how they want leads."""

    class Tier(models.TextChoices):
        BASE = "base", "Base"
        PRO = "pro", "Pro"
        ELITE = "elite", "Elite"

        @property
        def rank(self) -> int:
            """The one tier order: base 0, pro 1, elite 2 (the order they are declared in).
            A higher tier sees marketplace leads sooner and costs more a month."""
            return list(type(self)).index(self)

        @classmethod
        def wave_order(cls) -> list["Contractor.Tier"]:
            """Highest first: the order marketplace waves go out (WAVE_DELAYS_MINUTES)."""
            return sorted(cls, key=lambda tier: tier.rank, reverse=True)

    class AreaMode(models.TextChoices):
        RADIUS = "radius", "A radius around my base zip"
        ZIP_LIST = "zips", "A list of zip codes"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="contractor")
    business_name = models.CharField(max_length=120, blank=True)
    slug = models.SlugField(
        max_length=140, unique=True, null=True, blank=True, help_text="Public profile address."
    )
    phone = models.CharField(max_length=16, blank=True, help_text="E.164, e.g. +16195550100")
    # Shown to homeowners behind an interstitial that names it (views.profile_website);
    # only web addresses, here for the admin and in the profile form.
    website = models.URLField(
        blank=True, validators=[URLValidator(schemes=WEB_SCHEMES), validate_web_address]
    )
    base_zip = models.ForeignKey(
        ZipCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    categories = models.ManyToManyField(ServiceCategory, blank=True, related_name="contractors")

    area_mode = models.CharField(max_length=6, choices=AreaMode.choices, default=AreaMode.RADIUS)
    service_radius_miles = models.PositiveSmallIntegerField(
        default=25,
        validators=[MinValueValidator(MIN_RADIUS_MILES), MaxValueValidator(MAX_RADIUS_MILES)],
    )
    # The zips as the contractor typed them (area_mode=zips); ServiceArea holds the expansion.
    service_zip_list = models.TextField(blank=True)

    tier = models.CharField(max_length=5, choices=Tier.choices, default=Tier.BASE)
    is_active = models.BooleanField(
        default=True, help_text="Ops can deactivate a contractor; inactive ones get no leads."
    )
    is_paused = models.BooleanField(default=False, help_text="Paused contractors get no offers.")
    daily_lead_cap = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    weekly_lead_cap = models.PositiveSmallIntegerField(
        default=20, validators=[MinValueValidator(1), MaxValueValidator(5000)]
    )
    monthly_budget_cents = models.PositiveIntegerField(
        default=50_000, validators=[MinValueValidator(100), MaxValueValidator(100_000_000)]
    )

    notify_email = models.BooleanField(default=True)
    notify_sms = models.BooleanField(default=False)
    notify_in_app = models.BooleanField(default=True)
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    timezone = models.CharField(
        max_length=40, default="America/New_York", validators=[validate_timezone]
    )

    star_score = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Reviews (recent ones weigh more) and speed of first contact, 0-100, "
        "unrounded (leads/scoring.py); empty until the pro's first review, and until then "
        "the marketplace does not hold them back. Recomputed on events and nightly.",
    )
    onboarded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[categories])

    class Meta:
        ordering = ["business_name", "pk"]
        # Stopping every offer to a pro is a decision about the account, not an edit.
        permissions = [("deactivate_contractor", "Can activate and deactivate contractors")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(service_radius_miles__gte=MIN_RADIUS_MILES)
                & models.Q(service_radius_miles__lte=MAX_RADIUS_MILES),
                name="contractor_radius_in_range",
                violation_error_message="The radius must be between 1 and 100 miles.",
            ),
            models.CheckConstraint(
                condition=models.Q(daily_lead_cap__gte=1) & models.Q(weekly_lead_cap__gte=1),
                name="contractor_caps_positive",
                violation_error_message="Lead caps must be at least 1.",
            ),
            models.CheckConstraint(
                condition=models.Q(daily_lead_cap__lte=models.F("weekly_lead_cap")),
                name="contractor_daily_cap_within_weekly",
                violation_error_message="The daily cap cannot be higher than the weekly cap.",
            ),
            models.CheckConstraint(
                condition=models.Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                | models.Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False),
                name="contractor_quiet_hours_both_or_neither",
                violation_error_message="Give both ends of the quiet hours, or neither.",
            ),
        ]
        indexes = [
            # Marketplace matching filters on these before joining the service area.
            models.Index(fields=["is_active", "is_paused", "tier"], name="contractor_match_idx"),
        ]

    def __str__(self):
        return self.business_name or self.user.email

    @property
    def website_link(self) -> str:
        """The stored website if it is a plain web address, else "": a row saved before
        the checks, or edited past them, is never linked."""
        if not self.website or web_address_problem(self.website):
            return ""
        return self.website

    @property
    def website_host(self) -> str:
        """The destination as a homeowner should read it: internationalised names in
        their ASCII form, so a look-alike letter cannot pass for another site."""
        host = urlsplit(self.website_link).hostname or ""
        try:
            return host.encode("idna").decode("ascii")
        except UnicodeError:
            return host

    @property
    def is_onboarded(self) -> bool:
        return self.onboarded_at is not None

    def clean(self):
        """Rules across fields, shown next to the field they concern (forms and admin)."""
        errors = {}
        if (
            self.daily_lead_cap
            and self.weekly_lead_cap
            and self.daily_lead_cap > self.weekly_lead_cap
        ):
            errors["daily_lead_cap"] = "The daily cap cannot be higher than the weekly cap."
        if (self.quiet_hours_start is None) != (self.quiet_hours_end is None):
            errors["quiet_hours_end"] = "Give both ends of your quiet hours, or neither."
        if self.notify_sms and not self.phone:
            errors["phone"] = "Add a mobile phone number to get text alerts."
        if self.area_mode == self.AreaMode.RADIUS and self.base_zip_id is None:
            errors["base_zip"] = "A service radius needs a base zip code."
        if errors:
            raise ValidationError(errors)


class ServiceArea(models.Model):
    """One zip a contractor serves: the expanded service area, so matching is an index lookup."""

    contractor = models.ForeignKey(
        Contractor, on_delete=models.CASCADE, related_name="service_areas"
    )
    zip_code = models.ForeignKey(ZipCode, on_delete=models.CASCADE, related_name="service_areas")
    distance_miles = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Distance from the base zip, when known."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contractor", "zip_code"], name="service_area_unique"),
        ]
        indexes = [
            # Matching: which contractors serve the lead's zip.
            models.Index(fields=["zip_code", "contractor"], name="service_area_zip_idx"),
        ]

    def __str__(self):
        return f"{self.contractor} serves {self.zip_code_id}"


class Heartbeat(models.Model):
    """When a periodic job last ran; /health/ reads it to tell whether workers are alive."""

    name = models.CharField(max_length=40, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class ProfileClick(models.Model):
    """A homeowner's click on a profile's Call or Website link."""

    class Kind(models.TextChoices):
        PHONE = "phone", "Phone click"
        WEBSITE = "website", "Website click"

    contractor = models.ForeignKey(Contractor, on_delete=models.CASCADE, related_name="clicks")
    kind = models.CharField(max_length=7, choices=Kind.choices)
    source_page = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # Analytics: a contractor's clicks by kind over time.
            models.Index(fields=["contractor", "kind", "created_at"], name="click_contractor_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.contractor} at {self.created_at:%Y-%m-%d}"


class Notification(models.Model):
    """One outbound message on one channel: the log of everything we tried to tell anyone."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        IN_APP = "in_app", "In-app"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    # A wave of a thousand pros writes two thousand of these in one statement: the database
    # does not check each one's user (a look-up and a row lock per message, about 8 ms per
    # wave of 1,000), whom the writer just read. Deleting a user still deletes their
    # messages (Django's CASCADE).
    user = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # notification_list_idx leads with it
        db_constraint=False,
    )
    channel = models.CharField(max_length=6, choices=Channel.choices)
    to = models.CharField(max_length=254, help_text="Email address or E.164 phone.")
    template = models.CharField(max_length=60)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.QUEUED)
    send_after = models.DateTimeField(help_text="Later than now during quiet hours.")
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Not worth sending after this (an offer's expiry)."
    )
    claimed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the latest attempt took it for sending; it finishes only its own claim.",
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    interrupted = models.PositiveSmallIntegerField(
        default=0,
        help_text="Sends whose outcome never came back (worker lost, provider silent). The "
        "provider may have had them: the sweep sends again after one, never after two.",
    )
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The sweep: queued messages whose time has come.
            models.Index(
                fields=["send_after"],
                condition=models.Q(status="queued"),
                name="notification_queued_idx",
            ),
            # The sweep: messages whose sender died mid-send (claimed long ago, still sending).
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(status="sending"),
                name="notification_sending_idx",
            ),
            # A wave writes a row per pro and channel: the partial indexes below hold only
            # the rows they serve.
            # The dashboard badge: a user's unread in-app messages.
            models.Index(
                fields=["user"],
                condition=models.Q(channel="in_app", read_at__isnull=True),
                name="notification_unread_idx",
            ),
            # The notifications page: a user's in-app messages, newest first, a page at a
            # time; and every message of a user (deleting one).
            models.Index(
                fields=["user", "channel", "-created_at", "-id"], name="notification_list_idx"
            ),
            # Twilio status callbacks find the row by the provider's id, which only a sent
            # message has.
            models.Index(
                fields=["provider_id"],
                condition=~models.Q(provider_id=""),
                name="notification_sent_provider_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.template} to {self.to} ({self.status})"


class SmsStatusReport(models.Model):
    """A Twilio delivery report for a message sid no row holds yet (its callback URL did not
    name our row): kept until send() saves that sid, then applied and deleted. Reports
    nobody claims are forgotten after a week by the notification sweep."""

    message_sid = models.CharField(max_length=64)
    status = models.CharField(max_length=20)
    error_code = models.CharField(max_length=10, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # send() applies the reports of the sid it just saved.
            models.Index(fields=["message_sid"], name="smsstatusreport_sid_idx"),
            # The sweep forgets old ones.
            models.Index(fields=["received_at"], name="smsstatusreport_received_idx"),
        ]

    def __str__(self):
        return f"{self.message_sid} {self.status}"


class SmsOptOut(models.Model):
    """A phone number that replied STOP: we never text it until it replies START."""

    phone = models.CharField(max_length=16, unique=True)
    opted_out_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.phone} (opted out {self.opted_out_at:%Y-%m-%d})"


class LoginFailure(models.Model):
    """One log-in whose password was checked and wrong (or whose email is unknown), on the
    web form or the API token endpoint: the per-account and per-IP budgets count these.
    Attempts refused by a lock are not guesses and are not stored. Forgotten after a day."""

    login = models.CharField(max_length=254, help_text="The email as typed, lower-cased.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            # The account budget: this login's failures since its window opened.
            models.Index(fields=["login", "at"], name="loginfailure_login_idx"),
            # The IP budget: this address's failures in the last hour, whatever the email.
            models.Index(fields=["ip_address", "at"], name="loginfailure_ip_idx"),
            # The hourly clean-up.
            models.Index(fields=["at"], name="loginfailure_at_idx"),
        ]

    def __str__(self):
        return f"{self.login} from {self.ip_address} at {self.at:%Y-%m-%d %H:%M}"


class LoginLock(models.Model):
    """The lock state of one account (an email, whether or not an account has it, so a lock
    says nothing about who is registered) or one IP address. `counted_after_id`: failures up
    to this LoginFailure id are paid for (by a lock, a successful log-in or a password
    reset); an id, not a time, so failures within the same instant are never lost."""

    class Scope(models.TextChoices):
        ACCOUNT = "account", "Account (email)"
        IP = "ip", "IP address"

    scope = models.CharField(max_length=7, choices=Scope.choices)
    key = models.CharField(max_length=254)
    locked_until = models.DateTimeField(null=True, blank=True)
    lock_count = models.PositiveSmallIntegerField(
        default=0, help_text="Locks in a row; each one lasts twice as long as the one before."
    )
    counted_after_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="loginlock_scope_key_unique")
        ]

    def __str__(self):
        return f"{self.get_scope_display()} {self.key} until {self.locked_until}"
