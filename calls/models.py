"""Phone calls: Fairlead's own numbers, a pro's call settings, and every inbound call with
the pros it rang (legs). A screened call becomes a lead (leads.Lead, channel "call"); the
pro who takes it live buys it, and pays only if the bridged call qualifies."""

from django.core.exceptions import ValidationError
from django.db import models

from leads.models import Lead, Offer
from marketplace.errors import DomainError
from marketplace.history import HistoricalRecords
from marketplace.models import Contractor, ServiceCategory, ZipCode
from marketplace.services import normalize_phone


def _e164(value: str, field: str) -> str:
    try:
        return normalize_phone(value or "")
    except DomainError as error:
        raise ValidationError({field: error.message}) from None


class TrackingNumber(models.Model):
    """One of Fairlead's Twilio numbers: a service line advertised in a metro (screened,
    then routed live), or one pro's profile number (forwarded to that pro)."""

    class Purpose(models.TextChoices):
        SERVICE_LINE = "service_line", "Service line"
        PROFILE = "profile", "A pro's profile number"

    number = models.CharField(max_length=16, unique=True, help_text="E.164, as Twilio sends To.")
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    label = models.CharField(max_length=80, help_text='Where it is advertised: "Austin ads".')
    area_zip = models.ForeignKey(
        ZipCode,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Service line: the metro's central zip. A voicemail left without a zip is "
        "filed there for the screeners to correct.",
    )
    categories = models.ManyToManyField(
        ServiceCategory,
        blank=True,
        related_name="+",
        help_text="Service line: the services of its menu (one: no menu; at most nine).",
    )
    contractor = models.ForeignKey(
        Contractor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tracking_numbers",
        help_text="Profile number: the pro it forwards to.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["label"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purpose="service_line", contractor__isnull=True)
                | models.Q(purpose="profile", contractor__isnull=False),
                name="tracking_number_purpose_fits",
            ),
        ]

    def __str__(self):
        return f"{self.number} ({self.label})"

    def clean(self):
        self.number = _e164(self.number, "number")
        if self.purpose == self.Purpose.PROFILE and self.contractor_id is None:
            raise ValidationError(
                {"contractor": "A profile number forwards to one pro: pick them."}
            )
        if self.purpose == self.Purpose.SERVICE_LINE and self.contractor_id is not None:
            raise ValidationError(
                {"contractor": "A service line routes to whoever serves the caller: no pro."}
            )


class CallSettings(models.Model):
    """A pro's live calls: on or off, and the phone to ring, proven theirs by a test call
    that speaks a code they type back."""

    contractor = models.OneToOneField(
        Contractor, on_delete=models.CASCADE, related_name="call_settings"
    )
    enabled = models.BooleanField(default=False, help_text="Take live calls from homeowners.")
    ring_number = models.CharField(max_length=16, blank=True, help_text="E.164.")
    verified_number = models.CharField(
        max_length=16, blank=True, help_text="The number whose test-call code was typed back."
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    code_digest = models.CharField(max_length=64, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_tries = models.PositiveSmallIntegerField(default=0, help_text="Wrong tries of this code.")
    # Test calls and wrong codes are counted per day, so nobody can guess a number's code
    # by asking for new ones, nor use Fairlead to ring a number over and over.
    day_started_at = models.DateTimeField(null=True, blank=True)
    calls_today = models.PositiveSmallIntegerField(default=0)
    wrong_codes_today = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "call settings"

    def __str__(self):
        return f"Calls for {self.contractor}: {'on' if self.enabled else 'off'}"

    @property
    def verified(self) -> bool:
        return bool(self.ring_number) and self.ring_number == self.verified_number

    @property
    def takes_calls(self) -> bool:
        return self.enabled and self.verified


class Call(models.Model):
    """An inbound call to a tracking number, from the first webhook to its settlement."""

    class Stage(models.TextChoices):
        SERVICE = "service", "Choosing the service"
        ZIP = "zip", "Entering the zip"
        READY = "ready", "Answering readiness"
        VOICEMAIL = "voicemail", "Leaving a voicemail"
        RINGING = "ringing", "Ringing pros"
        CONNECTED = "connected", "Connected to a pro"
        ENDED = "ended", "Ended"

    class Outcome(models.TextChoices):
        LIVE = "", "In progress"
        CONNECTED = "connected", "Connected to a pro"
        NO_PRO = "no_pro", "No pro took it: sent as a request"
        HELD = "held", "Screened out of live routing"
        VOICEMAIL = "voicemail", "Voicemail"
        MISSED = "missed", "Hung up during screening"
        NOT_IN_SERVICE = "not_in_service", "Number not in service"

    call_sid = models.CharField(max_length=64, unique=True)
    tracking_number = models.ForeignKey(
        TrackingNumber, on_delete=models.PROTECT, related_name="calls"
    )
    from_number = models.CharField(max_length=32, help_text="Caller ID as Twilio sent it.")
    caller_phone = models.CharField(
        max_length=16, blank=True, help_text="Caller ID in E.164, when it is a valid US number."
    )
    stage = models.CharField(max_length=9, choices=Stage.choices, default=Stage.SERVICE)
    outcome = models.CharField(max_length=14, choices=Outcome.choices, blank=True)
    category = models.ForeignKey(
        ServiceCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    zip_code = models.ForeignKey(
        ZipCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    timeframe = models.CharField(max_length=8, choices=Lead.Timeframe.choices, blank=True)
    retries = models.PositiveSmallIntegerField(default=0, help_text="At the current question.")
    answers = models.JSONField(
        default=list, blank=True, help_text="What the caller heard and pressed or said, in order."
    )
    lead = models.OneToOneField(
        Lead, null=True, blank=True, on_delete=models.PROTECT, related_name="call"
    )

    bridged_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="How long the caller and the pro talked."
    )
    qualified = models.BooleanField(null=True, blank=True)
    fee_cents = models.PositiveIntegerField(default=0, help_text="Charged: qualified calls only.")
    charge = models.OneToOneField(
        "billing.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="call"
    )
    settled_at = models.DateTimeField(null=True, blank=True)
    settle_note = models.CharField(max_length=200, blank=True)

    recording_sid = models.CharField(max_length=64, unique=True, null=True, blank=True)
    recording_url = models.CharField(max_length=300, blank=True)
    recording_seconds = models.PositiveIntegerField(null=True, blank=True)
    voicemail = models.BooleanField(default=False, help_text="The recording is a voicemail.")

    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    missed_text_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        permissions = [("simulate_call", "Can place a simulated call (no Twilio)")]
        indexes = [
            models.Index(fields=["started_at"], name="call_started_idx"),
            # settle_stale_calls(): connected calls not settled yet.
            models.Index(
                fields=["started_at"],
                condition=models.Q(settled_at__isnull=True, stage="connected"),
                name="call_unsettled_idx",
            ),
        ]

    def __str__(self):
        return f"Call {self.call_sid[-8:]} to {self.tracking_number.label}"

    @property
    def bridged_leg(self):
        return next((leg for leg in self.legs.all() if leg.offer_id), None)


class CallLeg(models.Model):
    """One pro rung for a call: whispered the job and the fee; bridged if they pressed 1."""

    class Status(models.TextChoices):
        DIALING = "dialing", "Ringing"
        WHISPERED = "whispered", "Answered, hearing the job"
        TAKEN = "taken", "Took the call"
        DECLINED = "declined", "Passed"
        NO_ANSWER = "no_answer", "No answer"
        BUSY = "busy", "Busy"
        FAILED = "failed", "Could not be reached"
        SKIPPED = "skipped", "Could no longer buy it"
        CANCELED = "canceled", "Caller hung up first"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="legs")
    contractor = models.ForeignKey(Contractor, on_delete=models.PROTECT, related_name="call_legs")
    position = models.PositiveSmallIntegerField()
    route = models.CharField(max_length=11, choices=Offer.Route.choices)
    price_cents = models.PositiveIntegerField(help_text="The fee whispered to the pro.")
    number = models.CharField(max_length=16)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.DIALING)
    dial_sid = models.CharField(max_length=64, blank=True)
    whispered_at = models.DateTimeField(null=True, blank=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    leg_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="The pro's leg, whisper included (status callback)."
    )
    offer = models.OneToOneField(
        Offer, null=True, blank=True, on_delete=models.PROTECT, related_name="call_leg"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["call", "position"]
        constraints = [
            models.UniqueConstraint(fields=["call", "position"], name="call_leg_position"),
            models.UniqueConstraint(fields=["call", "contractor"], name="call_leg_once_per_pro"),
        ]

    def __str__(self):
        return f"{self.contractor} on {self.call}: {self.get_status_display()}"
