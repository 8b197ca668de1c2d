"""Intake, screening and after-sale rules as data. Services ask these; nothing else decides."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from django.conf import settings

from marketplace import localcache
from marketplace.models import ServiceCategory, ZipCode

from .models import BlockedContact, Lead, LeadFlag

# The text shown next to the consent checkbox. It is stored word for word with each lead,
# so changing it here never rewrites what earlier homeowners agreed to.
CONSENT_TEMPLATE = (
    "I agree that Fairlead may share my request and contact details with {recipients}, "
    "and that they and Fairlead may contact me about this request by phone, text message "
    "or email, including by automated means. Consent is not a condition of any purchase. "
    "Reply STOP to opt out of texts."
)


def consent_text(*, pro_name: str | None = None) -> str:
    """The exact consent shown: for a general request, or a request to one chosen pro."""
    if pro_name:
        recipients = pro_name
    else:
        recipients = (
            f"up to {DEFAULT_MAX_PROS} local home-service professionals (one if I ask for only one)"
        )
    return CONSENT_TEMPLATE.format(recipients=recipients)


def release_consent_text() -> str:
    """What a homeowner agrees to when the pro they chose cannot take their request and
    they ask us to send it on: the status page shows it next to the button, word for word."""
    return CONSENT_TEMPLATE.format(
        recipients=f"up to {DEFAULT_MAX_PROS} other local home-service professionals (one if "
        "I asked for only one), as the pro I chose cannot take it"
    )


DEFAULT_MAX_PROS = 3
DUPLICATE_WINDOW = timedelta(days=30)
# A resubmission after one of these rejections is held for a person, not opened.
HOLD_AFTER_REJECTION = {
    Lead.RejectReason.SPAM,
    Lead.RejectReason.TEST,
    Lead.RejectReason.NOT_REQUESTED,
    Lead.RejectReason.INVALID,
}
MIN_ESTIMATED_VALUE_CENTS = 100

DESCRIPTION_MIN_CHARS = 15
DESCRIPTION_MAX_CHARS = 2000
# Shorter than this (in words) passes validation but is held for a person to read.
DESCRIPTION_MIN_WORDS = 5

SPAM_PATTERNS = [
    (re.compile(r"https?://|www\.", re.I), "contains a web link"),
    (
        re.compile(
            r"\b(viagra|casino|crypto|bitcoin|forex|seo services|backlinks?|loan offer|"
            r"work from home|make money)\b",
            re.I,
        ),
        "contains words typical of spam",
    ),
    (re.compile(r"(.)\1{7,}"), "repeats one character many times"),
    (re.compile(r"^\W*(test|testing|asdf|qwerty|lorem ipsum)\b", re.I), "looks like a test"),
]


# Where a bought lead's outcome may go from where it is (services.record_outcome). Won is
# final: its value is what analytics and credit decisions read. A lost job may come back
# (the homeowner called again), and a lost reason may be corrected.
OUTCOME_STEPS = {
    "new": {"contacted", "appointment", "won", "lost"},
    "contacted": {"appointment", "won", "lost"},
    "appointment": {"won", "lost"},
    "lost": {"lost", "contacted", "appointment", "won"},
    "won": set(),
}


def estimate_job_value_cents(category: ServiceCategory, job_size: str) -> int:
    """The estimated job value: what the category says a job of the size the homeowner
    chose is worth (small, typical or large; ops keep the three values per category)."""
    value = {
        Lead.JobSize.SMALL: category.small_job_value_cents,
        Lead.JobSize.MEDIUM: category.typical_job_value_cents,
        Lead.JobSize.LARGE: category.large_job_value_cents,
    }[job_size]
    return max(MIN_ESTIMATED_VALUE_CENTS, value)


def max_pros_for(*, one_pro_only: bool) -> int:
    return 1 if one_pro_only else DEFAULT_MAX_PROS


@dataclass(frozen=True)
class Flag:
    code: str
    detail: str


def screening_flags(lead: Lead) -> list[Flag]:
    """Every rule that holds this lead for a screener, each with its reason."""
    flags = []
    email = lead.email.lower()
    domain = email.rsplit("@", 1)[-1]

    blocked = blocked_contact(lead.phone, email, domain)
    if blocked:
        value, reason = blocked
        flags.append(Flag(LeadFlag.Code.BLOCKED_CONTACT, f"{value} is blocked: {reason}"))

    if domain in DISPOSABLE_DOMAINS:
        flags.append(Flag(LeadFlag.Code.DISPOSABLE_EMAIL, f"{domain} is a disposable domain"))

    words = len(lead.description.split())
    if words < DESCRIPTION_MIN_WORDS:
        flags.append(
            Flag(
                LeadFlag.Code.SHORT_DESCRIPTION,
                f"{words} word(s); at least {DESCRIPTION_MIN_WORDS} expected",
            )
        )
    spam = [reason for pattern, reason in SPAM_PATTERNS if pattern.search(lead.description)]
    if spam:
        flags.append(Flag(LeadFlag.Code.SPAMMY_DESCRIPTION, "Description " + "; ".join(spam)))

    mismatch = area_code_mismatch(lead.phone, lead.zip_code.state)
    if mismatch:
        flags.append(Flag(LeadFlag.Code.AREA_CODE_MISMATCH, mismatch))

    if lead.ownership == Lead.Ownership.RENTER:
        flags.append(Flag(LeadFlag.Code.RENTER_NO_APPROVAL, "Renter without the owner's approval"))
    return flags


def blocked_contact(*values: str) -> tuple[str, str] | None:
    """(value, reason) of the first block-list entry (phone, email or domain) among
    `values`, else None. The block list is small and read on every request: this process
    keeps a copy (marketplace.localcache), dropped whenever an entry changes."""

    def load():
        return {
            value: (pk, value, reason)
            for pk, value, reason in BlockedContact.objects.filter(
                kind__in=[
                    BlockedContact.Kind.PHONE,
                    BlockedContact.Kind.EMAIL,
                    BlockedContact.Kind.DOMAIN,
                ]
            )
            .order_by("-pk")
            .values_list("pk", "value", "reason")
        }

    entries = localcache.blocked_contacts.get("all", load)
    found = sorted(entries[v] for v in set(values) if v in entries)
    return found[0][1:] if found else None


def area_code_states(area_code: str) -> set[str]:
    """States whose zips use this telephone area code, from the zip catalog.

    Kept in this process's copy of the catalog (marketplace.localcache): the catalog
    changes only when load_zipcodes runs, and the lookup is a scan of its area-code column.
    """

    def lookup():
        return sorted(
            ZipCode.objects.filter(area_codes__contains=area_code)
            .order_by()
            .values_list("state", flat=True)
            .distinct()
        )

    return set(localcache.zips.get(("area-code-states", area_code), lookup))


def area_code_mismatch(phone_e164: str, state: str) -> str:
    """A reason when a US phone's area code belongs to other states than the job's."""
    if not phone_e164.startswith("+1") or len(phone_e164) != 12:
        return ""
    area_code = phone_e164[2:5]
    states = area_code_states(area_code)
    if not states or state in states:
        # Unknown (toll-free, new overlay) codes are not held: no evidence either way.
        return ""
    return f"Area code {area_code} is used in {', '.join(sorted(states))}, the job is in {state}"


def min_fill_seconds() -> int:
    return settings.INTAKE_MIN_FILL_SECONDS


HIDDEN = "[hidden until you buy]"
EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def redact_contact(text: str, lead: Lead) -> str:
    """The description as pros see it before buying: phone numbers, email addresses, the
    homeowner's name and street address masked, so the contact cannot leak for free."""

    for match in reversed(list(phonenumbers.PhoneNumberMatcher(text, "US", leniency=0))):
        text = text[: match.start] + HIDDEN + text[match.end :]
    text = EMAIL_PATTERN.sub(HIDDEN, text)
    words = [lead.name, lead.street_address, *lead.name.split()]
    for word in sorted({w.strip() for w in words if len(w.strip()) > 2}, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(word)}\b", HIDDEN, text, flags=re.I)
    return text


def contact_log_window() -> timedelta:
    return timedelta(minutes=settings.CONTACT_ATTEMPT_LOG_WINDOW_MINUTES)


def contact_log_window_words() -> str:
    """The log window as people say it: "2 hours", "90 minutes"."""
    minutes = settings.CONTACT_ATTEMPT_LOG_WINDOW_MINUTES
    if minutes % 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    return f"{hours} hour{'s' if hours != 1 else ''}"


def logged_late(*, attempted_at: datetime, logged_at: datetime) -> bool:
    """A contact attempt logged more than CONTACT_ATTEMPT_LOG_WINDOW_MINUTES after it
    happened: kept and shown ("logged later"), but no evidence for the credit policy's
    non-contact schedule, which could otherwise be back-dated days later."""
    return logged_at - attempted_at > contact_log_window()


# A homeowner is asked to review their pro this long after the sale (sooner when the pro
# reports the job won).
REVIEW_INVITE_AFTER = timedelta(days=14)
