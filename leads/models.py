"""Quote requests (leads), their consent record, screening flags and decisions."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from marketplace.errors import DomainError
from marketplace.history import HistoricalRecords
from marketplace.models import Contractor, ServiceCategory, ZipCode
from marketplace.services import normalize_phone


def _local(moment) -> str:
    """A moment as the admin shows it: in the viewer's zone (activated per request), with
    its abbreviation, never bare UTC."""
    return f"{timezone.localtime(moment):%Y-%m-%d %-I:%M %p %Z}"


class Lead(models.Model):
    """A homeowner's quote request, from intake to filled, expired or rejected."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        SCREENING = "screening", "Being checked"
        OPEN = "open", "Open"
        FILLED = "filled", "Filled"
        EXPIRED = "expired", "Expired"
        REJECTED = "rejected", "Rejected"

    class Timeframe(models.TextChoices):
        URGENT = "urgent", "Urgent (within days)"
        WEEKS = "weeks", "Within a few weeks"
        FLEXIBLE = "flexible", "Flexible"

    class JobSize(models.TextChoices):
        SMALL = "small", "Small: a repair or a quick job"
        MEDIUM = "medium", "Medium: a typical job"
        LARGE = "large", "Large: a replacement or a big project"

    class Ownership(models.TextChoices):
        OWNER = "owner", "I own the property"
        RENTER_APPROVED = "renter_approved", "I rent, and the owner approved the work"
        RENTER = "renter", "I rent"

    class ContactMethod(models.TextChoices):
        PHONE = "phone", "Phone call"
        TEXT = "text", "Text message"
        EMAIL = "email", "Email"

    class RejectReason(models.TextChoices):
        SPAM = "spam", "Spam"
        TEST = "test", "Test request"
        INVALID = "invalid", "Invalid contact details"
        DUPLICATE = "duplicate", "Duplicate of an open request"
        OUT_OF_AREA = "out_of_area", "Out of area"
        NOT_REQUESTED = "not_requested", "Homeowner says they did not make it"
        FOUND_INVALID = "found_invalid", "Found invalid by Fairlead (buyers credited)"

    reference = models.CharField(max_length=12, unique=True)
    status_token = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)

    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="leads")
    zip_code = models.ForeignKey(ZipCode, on_delete=models.PROTECT, related_name="leads")
    street_address = models.CharField(max_length=200, blank=True)
    description = models.TextField()
    timeframe = models.CharField(max_length=8, choices=Timeframe.choices)
    job_size = models.CharField(max_length=6, choices=JobSize.choices)
    ownership = models.CharField(max_length=15, choices=Ownership.choices)
    estimated_value_cents = models.PositiveIntegerField()

    name = models.CharField(max_length=120)
    phone = models.CharField(max_length=16, help_text="E.164")
    email = models.EmailField()
    preferred_contact = models.CharField(max_length=5, choices=ContactMethod.choices)
    one_pro_only = models.BooleanField(default=False)
    max_pros = models.PositiveSmallIntegerField(default=3)

    # Where it came from.
    profile_contractor = models.ForeignKey(
        Contractor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="profile_leads",
        help_text="Sent from this contractor's profile: offered to them only.",
    )
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    utm_term = models.CharField(max_length=100, blank=True)
    utm_content = models.CharField(max_length=100, blank=True)
    referrer = models.CharField(max_length=500, blank=True)
    landing_page = models.CharField(max_length=500, blank=True)
    channel = models.CharField(
        max_length=4, default="web", help_text="web form, api, or call (a phone call)"
    )

    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    rejection_reason = models.CharField(max_length=15, choices=RejectReason.choices, blank=True)
    rejection_note = models.CharField(max_length=300, blank=True)
    homeowner_disputed_at = models.DateTimeField(
        null=True, blank=True, help_text="The homeowner said they did not make this request."
    )
    unserved = models.BooleanField(
        default=False,
        help_text="No active pro served this service in this zip when the request came in: "
        "the homeowner was told so at once, and ops see it as demand to recruit for.",
    )
    chosen_pro_unavailable_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The pro chosen on a profile could not take it (declined, let the offer "
        "expire, or cannot take requests): the homeowner was asked whether to send it on.",
    )
    released_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A request to one chosen pro that the homeowner agreed (or told ops) to "
        "send to other pros: routed as a marketplace request from then on.",
    )
    homeowner_hired_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The homeowner said they hired someone: the request stopped there.",
    )
    routed_at = models.DateTimeField(
        null=True, blank=True, help_text="When routing took the lead; empty means not yet."
    )
    verification_reached_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When our screening reached the homeowner (rules out non-contact credits).",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            # The ops reports (leads/reports.py) show every contractor's money.
            ("view_ops_reports", "Can see the ops reports"),
            # Re-route and withdraw offers: the admin's Leads actions (leads/admin.py).
            ("route_lead", "Can re-route a lead and withdraw its offers"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_pros__gte=1) & models.Q(max_pros__lte=10),
                name="lead_max_pros_range",
            ),
            models.CheckConstraint(
                condition=models.Q(estimated_value_cents__gte=100),
                name="lead_estimated_value_at_least_one_dollar",
            ),
        ]
        indexes = [
            # Screening queue (oldest first) and the routing sweep.
            models.Index(fields=["status", "created_at"], name="lead_status_created_idx"),
            # Duplicate detection: same phone or email and category within 30 days.
            # Territory map and pricing: a category's leads per zip over the last year.
            models.Index(fields=["zip_code", "category", "created_at"], name="lead_volume_idx"),
            models.Index(fields=["phone", "category", "created_at"], name="lead_dup_phone_idx"),
            models.Index(fields=["email", "category", "created_at"], name="lead_dup_email_idx"),
            # Ops reports: unserved demand in a period.
            models.Index(
                fields=["created_at"], condition=models.Q(unserved=True), name="lead_unserved_idx"
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.category} in {self.zip_code_id}"

    @property
    def is_active(self) -> bool:
        return self.status in {self.Status.SUBMITTED, self.Status.SCREENING, self.Status.OPEN}


class Consent(models.Model):
    """The consent the homeowner gave: the exact text shown, when, from where. Evidence
    that must outlive the lead: a lead with a consent cannot be deleted (PROTECT); leads
    are closed, never deleted."""

    class Method(models.TextChoices):
        FORM_CHECKBOX = "form_checkbox", "Checkbox ticked on Fairlead's form"
        API_ASSERTION = "api_assertion", "Asserted by an API client"
        STATUS_PAGE = "status_page", "Agreed on the private status page"
        OPS_RECORDED = "ops_recorded", "Recorded by Fairlead staff"
        PHONE_IVR = "phone_ivr", "Heard and answered on a call to Fairlead"

    # A request has its consent from intake; a request to one chosen pro gets a second one
    # if the homeowner agrees to send it to other pros (services.release_profile_lead).
    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="consents")
    text = models.TextField()
    method = models.CharField(max_length=13, choices=Method.choices, default=Method.FORM_CHECKBOX)
    given_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)

    def __str__(self):
        return f"Consent for {self.lead.reference} at {_local(self.given_at)}"


class LeadFlag(models.Model):
    """Why automatic screening held a lead for a person to check."""

    class Code(models.TextChoices):
        BLOCKED_CONTACT = "blocked_contact", "Phone or email on the block list"
        DISPOSABLE_EMAIL = "disposable_email", "Disposable email domain"
        SHORT_DESCRIPTION = "short_description", "Description too short"
        SPAMMY_DESCRIPTION = "spammy_description", "Description looks like spam"
        AREA_CODE_MISMATCH = "area_code_mismatch", "Phone area code far from the zip"
        RENTER_NO_APPROVAL = "renter_no_approval", "Renter without the owner's approval"
        DUPLICATE = "duplicate", "Same homeowner and category within 30 days"
        PRIOR_REJECTION = "prior_rejection", "The homeowner's earlier request was rejected"
        CALL_VOICEMAIL = "call_voicemail", "A caller's voicemail: service or zip not screened"

    # Screening history, kept as long as the lead's consent is.
    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="flags")
    code = models.CharField(max_length=20, choices=Code.choices)
    detail = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lead", "code"], name="lead_flag_unique"),
        ]
        # Admin filter "flagged for …": by code, then lead.
        indexes = [models.Index(fields=["code", "lead"], name="lead_flag_code_idx")]

    def __str__(self):
        return f"{self.get_code_display()}: {self.detail}"


class ScreeningDecision(models.Model):
    """A screener's verify or reject, with what they changed."""

    class Outcome(models.TextChoices):
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    # Screening history, kept as long as the lead's consent is.
    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="screening_decisions"
    )
    decided_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=15, blank=True)
    note = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True, help_text="Field: [before, after].")

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self):
        return f"{self.get_outcome_display()} by {self.decided_by} at {self.decided_at:%Y-%m-%d}"


class BlockedContact(models.Model):
    """A phone, email or email domain whose requests are held for screening."""

    class Kind(models.TextChoices):
        PHONE = "phone", "Phone (E.164)"
        EMAIL = "email", "Email address"
        DOMAIN = "domain", "Email domain"

    kind = models.CharField(max_length=6, choices=Kind.choices)
    value = models.CharField(max_length=254)
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="blocked_contact_unique"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value}"

    def save(self, *args, **kwargs):
        if self.kind != self.Kind.PHONE:
            self.value = self.value.strip().lower()
        super().save(*args, **kwargs)

    def clean(self):
        """Stored the way leads store it, so a block always matches: E.164 phones,
        lower-case emails and domains."""

        value = (self.value or "").strip().lower()
        if self.kind == self.Kind.PHONE:
            try:
                value = normalize_phone(value)
            except DomainError as error:
                raise ValidationError({"value": error.message}) from None
        elif self.kind == self.Kind.EMAIL and "@" not in value:
            raise ValidationError({"value": "Enter a whole email address."})
        elif self.kind == self.Kind.DOMAIN:
            value = value.lstrip("@")
            if "." not in value or "@" in value:
                raise ValidationError({"value": "Enter a domain such as example.com."})
        self.value = value


class ScreeningLead(Lead):
    """The screening queue in the admin: leads held by a rule, oldest first."""

    class Meta:
        proxy = True
        ordering = ["created_at"]
        verbose_name = "lead to screen"
        verbose_name_plural = "screening queue"


class Wave(models.Model):
    """When one membership tier is offered a marketplace lead. Persisted, so a due wave
    still goes out after a worker restart (beat sends due waves every minute)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="waves")
    tier = models.CharField(max_length=5, choices=Contractor.Tier.choices)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    offers_made = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["due_at"]
        constraints = [models.UniqueConstraint(fields=["lead", "tier"], name="wave_unique")]
        indexes = [
            # send_due_waves(): unsent waves whose time has come.
            models.Index(
                fields=["due_at"], condition=models.Q(sent_at__isnull=True), name="wave_due_idx"
            ),
        ]

    def __str__(self):
        return f"{self.get_tier_display()} wave for {self.lead.reference} at {_local(self.due_at)}"


# A contractor's offers list order (leads.queries.offers_for): pending first, soonest to
# expire, then the rest newest first. The same expressions build the index that serves it.
PENDING_FIRST = models.Case(
    models.When(status="pending", then=models.Value(0)),
    default=models.Value(1),
    output_field=models.IntegerField(),
)
PENDING_EXPIRES_AT = models.Case(
    models.When(status="pending", then=models.F("expires_at")),
    output_field=models.DateTimeField(),
)


class Offer(models.Model):
    """A lead shown to one contractor, who may buy it before it expires."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Route(models.TextChoices):
        PROFILE = "profile", "Profile request"
        TERRITORY = "territory", "Exclusive territory"
        MARKETPLACE = "marketplace", "Marketplace"

    # No index of their own: offer_unique leads with the lead, and the list indexes below
    # with the contractor (a wave of a thousand offers writes every index a thousand times).
    # No database check either: a wave's offers name the lead routing holds locked and the
    # pros its query just read, and checking each again at commit cost routing a look-up
    # and a row lock per offer (12 ms of a 1,000-pro wave's 118, measured side by side). A
    # lead is never deleted (its consent's PROTECT, in the database too), nor is a pro with
    # offers (their billing account's PROTECT, in the database too: every offer needs one).
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="offers", db_index=False, db_constraint=False
    )
    contractor = models.ForeignKey(
        Contractor,
        on_delete=models.CASCADE,
        related_name="offers",
        db_index=False,
        db_constraint=False,
    )
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PENDING)
    route = models.CharField(max_length=11, choices=Route.choices)
    tier = models.CharField(max_length=5, choices=Contractor.Tier.choices, blank=True)
    price_cents = models.PositiveIntegerField()
    offered_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    # The lead's keys as it was offered (a snapshot, as the rollup keys a purchase when it
    # is made), so analytics counts a pro's offers by service, zip and campaign without
    # joining each one to its lead. Set by whoever makes the offer (save() for one made
    # singly). Null only on offers that code older than leads 0024 made during its deploy
    # (0025 filled the rest): analytics reads those from the lead; a later release fills
    # them again and makes the keys required. No database constraint: they are copies of
    # the lead's, which its own keys check, and checking them again cost routing two
    # look-ups per offer (about 8 ms more for a wave of 1,000). Nor a PROTECT of their own:
    # the lead's PROTECT keeps its service and zip, and one here made deleting a service or
    # zip read every offer ever made (no index serves these columns).
    category = models.ForeignKey(
        ServiceCategory,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
        null=True,
    )
    zip_code = models.ForeignKey(
        ZipCode,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
        null=True,
    )
    # db_default: an INSERT by code that predates the column still succeeds.
    utm_source = models.CharField(max_length=100, blank=True, db_default="")

    class Meta:
        ordering = ["-offered_at"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "contractor"], name="offer_unique"),
        ]
        indexes = [
            # A contractor's offers page and API: own offers by status, newest first.
            models.Index(fields=["contractor", "status", "-offered_at"], name="offer_inbox_idx"),
            # offers_for(): the offers page and API list, in their order, read from the top
            # (a sort by these CASEs over every offer the pro ever had, otherwise).
            models.Index(
                models.F("contractor"),
                PENDING_FIRST,
                PENDING_EXPIRES_AT,
                models.F("offered_at").desc(),
                models.F("id").desc(),
                name="offer_list_order_idx",
            ),
            # offers_between(): a contractor's offers shown in a period, which analytics
            # counts in one GROUP BY (offer_inbox_idx leads with status, not the time).
            # On PostgreSQL it carries every column that count reads, so offers on pages
            # VACUUM has marked all-visible (all but the newest) are counted from the index
            # alone; other databases ignore `include`.
            models.Index(
                fields=["contractor", "offered_at"],
                include=["route", "status", "category", "zip_code", "utm_source"],
                name="offer_shown_keys_idx",
            ),
            # expire_offers(): pending offers past their time.
            models.Index(
                fields=["expires_at"],
                condition=models.Q(status="pending"),
                name="offer_pending_expiry_idx",
            ),
        ]

    def __str__(self):
        return f"{self.lead.reference} to {self.contractor} ({self.status})"

    def save(self, *args, **kwargs):
        # Routing writes the keys with its bulk insert; filled in here for an offer made one
        # at a time (a live call taken, a test), so none is made without them.
        if self._state.adding and self.lead_id is not None:
            self.copy_lead_keys(self.lead)
        super().save(*args, **kwargs)

    def copy_lead_keys(self, lead: Lead) -> None:
        """Snapshot the lead's analytics keys (category, zip, campaign) onto this offer."""
        self.category_id = lead.category_id
        self.zip_code_id = lead.zip_code_id
        self.utm_source = lead.utm_source


class Purchase(models.Model):
    """A lead a contractor bought: the contact is theirs, and so is the outcome to record."""

    class Outcome(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        APPOINTMENT = "appointment", "Appointment booked"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="purchases")
    contractor = models.ForeignKey(Contractor, on_delete=models.PROTECT, related_name="purchases")
    offer = models.OneToOneField(Offer, on_delete=models.PROTECT, related_name="purchase")
    price_cents = models.PositiveIntegerField()
    # Empty only for a live call not charged (yet): a call is paid for once it qualifies.
    entry = models.OneToOneField(
        "billing.Entry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="purchase",
    )
    outcome = models.CharField(max_length=11, choices=Outcome.choices, default=Outcome.NEW)
    final_value_cents = models.PositiveIntegerField(null=True, blank=True)
    lost_reason = models.CharField(max_length=200, blank=True)
    appointment_booked_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the outcome first became appointment booked (or won); kept if the "
        "job is lost later, so analytics count every appointment.",
    )
    won_at = models.DateTimeField(
        null=True, blank=True, help_text="When the buyer reported the job won (final)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "contractor"], name="purchase_unique"),
        ]
        indexes = [
            # Caps and budget: a contractor's purchases over the last day, week, month.
            models.Index(fields=["contractor", "created_at"], name="purchase_caps_idx"),
        ]

    def __str__(self):
        return f"{self.contractor} bought {self.lead.reference}"


class ContactAttempt(models.Model):
    """A call, text or email a contractor made to a homeowner they bought."""

    class Channel(models.TextChoices):
        CALL = "call", "Call"
        TEXT = "text", "Text"
        EMAIL = "email", "Email"

    class Result(models.TextChoices):
        REACHED = "reached", "Reached the homeowner"
        VOICEMAIL = "voicemail", "Left a voicemail"
        NO_ANSWER = "no_answer", "No answer"
        WRONG_NUMBER = "wrong_number", "Wrong or disconnected number"
        SENT = "sent", "Sent (text or email)"
        BOUNCED = "bounced", "Bounced (email)"

    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, related_name="attempts")
    channel = models.CharField(max_length=5, choices=Channel.choices)
    result = models.CharField(max_length=12, choices=Result.choices)
    attempted_at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)
    verified = models.BooleanField(
        default=False,
        help_text="Logged by Fairlead itself (a call bridged through its number), not typed.",
    )
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["attempted_at"]
        indexes = [
            # response_delays() and purchase_responses(): a purchase's first attempt, read
            # from the top of the index for each lead analytics counts (no sort per lead).
            models.Index(fields=["purchase", "attempted_at"], name="attempt_first_idx"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {_local(self.attempted_at)}: {self.result}"

    @property
    def logged_late(self) -> bool:
        from .policy import logged_late  # leads/policy.py imports these models

        return logged_late(attempted_at=self.attempted_at, logged_at=self.created_at)


class Review(models.Model):
    """A homeowner's review of the pro who bought their request, by private link."""

    purchase = models.OneToOneField(Purchase, on_delete=models.CASCADE, related_name="review")
    token = models.CharField(max_length=64, unique=True)
    invited_at = models.DateTimeField()
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reply = models.TextField(blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True)
                | (models.Q(rating__gte=1) & models.Q(rating__lte=5)),
                name="review_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(hidden=False) | ~models.Q(hidden_reason=""),
                name="review_hidden_has_reason",
            ),
        ]

    def __str__(self):
        return f"Review of {self.purchase.contractor} ({self.rating or 'not yet'})"


class ScoreTotals(models.Model):
    """A pro's star score inputs as running totals (leads/scoring.py), kept by the events
    that move them in their own transaction: a purchase, a contact attempt, a review shown
    or hidden. The Overview and every logged attempt read these instead of the whole
    history; the nightly recompute rebuilds them from the history and fixes any drift.
    Review weights are stored as at scoring.EPOCH: their decay to now is one factor."""

    contractor = models.OneToOneField(
        Contractor, on_delete=models.CASCADE, primary_key=True, related_name="score_totals"
    )
    purchases = models.PositiveIntegerField(default=0)
    answered_in_time = models.PositiveIntegerField(
        default=0, help_text="Purchases whose first contact attempt came within the hour."
    )
    reviews = models.PositiveIntegerField(default=0, help_text="Visible submitted reviews.")
    review_weight = models.FloatField(default=0.0)
    review_points = models.FloatField(default=0.0, help_text="Σ weight × (stars − 1) / 4.")
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "score totals"

    def __str__(self):
        return f"Score totals of {self.contractor}"


class AnalyticsCell(models.Model):
    """A contractor's analytics counts for one local day or month and one key (all, a
    source, a city, a service): leads/rollup.py says what counts where. Kept by the events
    that change them, in their own transaction (one upsert adding to each cell), and
    rebuilt from the history every night (services/analytics.py), so analytics reads a
    few hundred cells whatever the contractor's history."""

    contractor = models.ForeignKey(Contractor, on_delete=models.CASCADE, related_name="+")
    grain = models.CharField(max_length=5)  # rollup.DAY or rollup.MONTH
    start = models.DateField(help_text="The local day, or the first day of the month.")
    month = models.DateField(help_text="The first day of start's month (read per month).")
    kind = models.CharField(max_length=8)  # rollup.KINDS
    key = models.CharField(max_length=200, blank=True)
    leads = models.IntegerField(default=0)
    spend_cents = models.BigIntegerField(default=0)
    credits_cents = models.BigIntegerField(default=0)
    appointments = models.IntegerField(default=0)
    wins = models.IntegerField(default=0)
    won_revenue_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            # Also the analytics read: a contractor's cells of a grain over a date range.
            models.UniqueConstraint(
                fields=["contractor", "grain", "start", "kind", "key"], name="analytics_cell_key"
            ),
        ]

    def __str__(self):
        return f"{self.contractor_id} {self.grain} {self.start} {self.kind} {self.key}"


class ResponseCount(models.Model):
    """How many of a cell's leads had their first contact attempt within one response
    step (rollup.RESPONSE_STEPS[bucket]): the median response time is read from these."""

    contractor = models.ForeignKey(Contractor, on_delete=models.CASCADE, related_name="+")
    grain = models.CharField(max_length=5)
    start = models.DateField()
    month = models.DateField()
    kind = models.CharField(max_length=8)
    key = models.CharField(max_length=200, blank=True)
    bucket = models.PositiveSmallIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contractor", "grain", "start", "kind", "key", "bucket"],
                name="response_count_key",
            ),
        ]

    def __str__(self):
        return (
            f"{self.contractor_id} {self.grain} {self.start} {self.kind} {self.key} #{self.bucket}"
        )
