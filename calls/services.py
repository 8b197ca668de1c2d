"""A phone call, from the first ring to its settlement (DESIGN, Calls).

A service line screens the caller (service, zip, readiness); the answers become a lead
(leads intake, channel "call", the same screening rules as the form). A ready caller's open
lead is held for a live call: the pros who would be offered it, and take calls, are rung
one after another, each whispered the job and the fee; the first who presses 1 buys the
lead (take_live_call) and is bridged. The call is charged, once per call sid, only if the
bridged leg lasted CALL_QUALIFIED_SECONDS. Nobody takes it: the lead is handed to routing
as any request, so a call is never lost. A profile number rings its pro directly.

Every function here runs inside one transaction with the call's row locked first, so
repeated and reordered webhooks of one call take turns, and each is idempotent."""

import hashlib
import hmac
import logging
import re
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from leads import services as leads
from leads.models import ContactAttempt, Lead, LeadFlag, Offer
from marketplace.errors import DomainError
from marketplace.models import Contractor, ServiceCategory, ZipCode
from marketplace.money import format_cents
from marketplace.notifications import notify_contractor, text_number
from marketplace.services import normalize_phone
from marketplace.tasking import enqueue_on_commit

# tasks imports these services too: tasks.X is looked up when a task is sent.
from . import policy, tasks, twiml
from .models import Call, CallLeg, CallSettings, TrackingNumber

logger = logging.getLogger(__name__)

# Twilio's DialCallStatus for a pro who was not put through.
DIAL_MISSES = {
    "busy": CallLeg.Status.BUSY,
    "failed": CallLeg.Status.FAILED,
    "no-answer": CallLeg.Status.NO_ANSWER,
    "canceled": CallLeg.Status.CANCELED,
    "completed": CallLeg.Status.NO_ANSWER,  # answered, but never pressed 1
}
SCREENING = {Call.Stage.SERVICE, Call.Stage.ZIP, Call.Stage.READY}


def _number(params: dict, key: str) -> str:
    """A phone number or a sid as Twilio sent it (sids are 34 characters)."""
    return (params.get(key) or "").strip()[:64]


def _seconds(raw) -> int | None:
    raw = str(raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 7 else None


def _locked(call_id: int) -> Call | None:
    return (
        Call.objects.select_for_update(of=("self",))
        .select_related("tracking_number__contractor", "lead__zip_code", "lead__category")
        .filter(pk=call_id)
        .first()
    )


def _note(call: Call, step: str, heard: str, answer: str = "", via: str = "") -> None:
    """What the caller heard and answered, in order: the call's consent record."""
    call.answers = [
        *call.answers,
        {
            "step": step,
            "heard": heard,
            "answer": answer,
            "via": via,
            "at": timezone.now().isoformat(),
        },
    ]


def line_categories(number: TrackingNumber) -> list[ServiceCategory]:
    """The services a line's menu offers, in name order (at most MENU_MAX)."""
    chosen = [c for c in number.categories.all() if c.active]
    if not chosen and number.contractor_id:
        chosen = [c for c in number.contractor.categories.all() if c.active]
    if not chosen:
        chosen = list(ServiceCategory.objects.filter(active=True))
    return sorted(chosen, key=lambda c: c.name)[: policy.MENU_MAX]


# --- The first request: a call comes in ---------------------------------------------------


@transaction.atomic
def incoming(params: dict) -> str:
    """Twilio's first request for a call to one of our numbers. A repeat of it (same
    CallSid) asks the current question again and writes nothing new."""
    number = (
        TrackingNumber.objects.select_related("contractor")
        .filter(number=_number(params, "To"), active=True)
        .first()
    )
    call_sid = _number(params, "CallSid")
    if number is None or not call_sid:
        logger.warning("Call %s to %s: not one of our active numbers", call_sid, params.get("To"))
        return twiml.not_in_service()
    from_number = _number(params, "From")[:32]
    try:
        caller_phone = normalize_phone(from_number)
    except DomainError:
        caller_phone = ""  # withheld or foreign caller ID: screened, never a lead by phone
    call, created = Call.objects.get_or_create(
        call_sid=call_sid,
        defaults={
            "tracking_number": number,
            "from_number": from_number,
            "caller_phone": caller_phone,
            "started_at": timezone.now(),
        },
    )
    call = _locked(call.pk)
    if not created:
        return _repeat(call)
    if number.purpose == TrackingNumber.Purpose.PROFILE:
        return _profile_call(call)
    greeting = twiml.greeting(number.label)
    categories = line_categories(number)
    if len(categories) == 1:
        call.category = categories[0]
        call.stage = Call.Stage.ZIP
        _note(call, "greeting", f"{greeting} (one service: {categories[0].name})")
        call.save()
        return twiml.ask(
            call, "zip", twiml.zip_prompt(), intro=greeting, digits=5, hints="$OPERAND"
        )
    _note(call, "greeting", greeting)
    call.save()
    return _ask_service(call, categories, intro=greeting)


def _ask_service(call: Call, categories, *, intro: str = "") -> str:
    hints = ", ".join(c.name for c in categories)
    return twiml.ask(call, "service", twiml.service_prompt(categories), intro=intro, hints=hints)


def _repeat(call: Call) -> str:
    """The current step's question again (a webhook repeated, or answered out of order)."""
    if call.stage == Call.Stage.SERVICE:
        return _ask_service(call, line_categories(call.tracking_number))
    if call.stage == Call.Stage.ZIP:
        return twiml.ask(call, "zip", twiml.zip_prompt(), digits=5, hints="$OPERAND")
    if call.stage == Call.Stage.READY:
        return twiml.ask(call, "ready", twiml.readiness_prompt())
    if call.stage == Call.Stage.VOICEMAIL:
        return twiml.voicemail(call, why="")
    if call.stage == Call.Stage.RINGING:
        leg = call.legs.filter(status__in=[CallLeg.Status.DIALING, CallLeg.Status.WHISPERED]).last()
        if leg is not None:
            return twiml.dial(leg)
    return twiml.goodbye()


# --- Screening ------------------------------------------------------------------------------


@transaction.atomic
def gather(call_id: int, step: str, params: dict) -> str:
    """A screening answer (keys in Digits, or words in SpeechResult). A wrong or empty
    answer is asked once more, then the caller is sent to voicemail."""
    call = _locked(call_id)
    if call is None:
        return twiml.not_in_service()
    if call.stage != step:
        return _repeat(call)  # a late or repeated answer to a question already settled
    digits = re.sub(r"\D", "", params.get("Digits") or "")
    speech = (params.get("SpeechResult") or "").strip()[:200]
    via = "keypad" if digits else "speech" if speech else ""
    if step == Call.Stage.SERVICE:
        return _answer_service(call, digits, speech, via)
    if step == Call.Stage.ZIP:
        return _answer_zip(call, digits or re.sub(r"\D", "", speech), via)
    return _answer_readiness(call, digits[:1], via)


def _retry(call: Call, step: str, heard: str, answer: str, via: str) -> str | None:
    """Count a miss; None while a retry is left, else the voicemail's TwiML."""
    _note(call, step, heard, answer or "(no answer)", via)
    call.retries += 1
    if call.retries <= policy.RETRIES:
        call.save()
        return None
    return _to_voicemail(call, why="Sorry, we could not get that.")


def _answer_service(call: Call, digits: str, speech: str, via: str) -> str:
    categories = line_categories(call.tracking_number)
    prompt = twiml.service_prompt(categories)
    chosen = None
    if digits and digits.isdigit() and 1 <= int(digits) <= len(categories):
        chosen = categories[int(digits) - 1]
    elif speech:
        words = speech.lower()
        chosen = next((c for c in categories if c.name.lower() in words), None) or next(
            (c for c in categories if c.slug.replace("-", " ") in words), None
        )
    if chosen is None:
        return _retry(call, "service", prompt, digits or speech, via) or _ask_service(
            call, categories, intro="Sorry, that is not one of the choices."
        )
    _note(call, "service", prompt, f"{digits or speech} ({chosen.name})", via)
    call.category, call.stage, call.retries = chosen, Call.Stage.ZIP, 0
    call.save()
    return twiml.ask(call, "zip", twiml.zip_prompt(), digits=5, hints="$OPERAND")


def _answer_zip(call: Call, digits: str, via: str) -> str:
    prompt = twiml.zip_prompt()
    zip_code = ZipCode.objects.filter(code=digits).first() if len(digits) == 5 else None
    if zip_code is None:
        return _retry(call, "zip", prompt, digits, via) or twiml.ask(
            call,
            "zip",
            prompt,
            intro="Sorry, that is not a zip code we know.",
            digits=5,
            hints="$OPERAND",
        )
    read_back = twiml.zip_read_back(zip_code)
    _note(
        call,
        "zip",
        prompt,
        f"{digits} ({zip_code.city}, {zip_code.state}); heard: {read_back}",
        via,
    )
    call.zip_code, call.stage, call.retries = zip_code, Call.Stage.READY, 0
    call.save()
    return twiml.ask(call, "ready", twiml.readiness_prompt(), intro=read_back)


def _answer_readiness(call: Call, digit: str, via: str) -> str:
    prompt = twiml.readiness_prompt()
    if digit not in policy.READINESS:
        return _retry(call, "ready", prompt, digit, via) or twiml.ask(
            call, "ready", prompt, intro="Sorry, that is not one of the choices."
        )
    timeframe, said = policy.READINESS[digit]
    _note(call, "ready", prompt, f"{digit} (the caller {said})", via)
    call.timeframe, call.retries = timeframe, 0
    return _screened(call)


# --- The screened call becomes a lead ---------------------------------------------------------


def _consent_text(call: Call) -> str:
    lines = [f"Call to {call.tracking_number.number} from {call.from_number}."]
    for item in call.answers:
        lines.append(f"Heard: {item['heard']}")
        if item.get("answer"):
            lines.append(f"Answered ({item.get('via') or 'no input'}): {item['answer']}")
    return "\n".join(lines)


def _description(call: Call, *, voicemail: bool = False) -> str:
    category = call.category.name.lower() if call.category else "a service"
    line = call.tracking_number.label
    if not line.lower().endswith("line"):  # "Austin ads" line; a "San Diego service line"
        line += " line"
    text = f"Phone call to Fairlead's {line} about {category}"
    if call.zip_code_id:
        text += f" for work in {call.zip_code_id}"
    if call.timeframe:
        said = next(said for tf, said in policy.READINESS.values() if tf == call.timeframe)
        text += f"; the caller {said}"
    if voicemail:
        text += "; the caller left a voicemail, listen to it before calling back"
    return text + ". Job size and ownership were not asked on the call."


def _make_lead(
    call: Call, *, category, zip_code, timeframe, profile_pro=None, hold=()
) -> Lead | None:
    """The caller's request, through the same intake as the form (screening rules,
    duplicates, block list, area code). None without a valid caller ID."""
    if not call.caller_phone:
        return None
    try:
        lead = leads.submit_quote_request(
            leads.QuoteRequest(
                category=category,
                zip_code=zip_code,
                description=_description(call, voicemail=bool(hold)),
                timeframe=timeframe,
                job_size=Lead.JobSize.MEDIUM,
                ownership=Lead.Ownership.OWNER,
                name="Phone caller",
                phone=call.caller_phone,
                email="",
                preferred_contact=Lead.ContactMethod.PHONE,
                profile_contractor=profile_pro,
            ),
            submission=leads.Submission(
                consent_text=_consent_text(call),
                consent_method="phone_ivr",
                channel="call",
                landing_page=f"tel:{call.tracking_number.number}",
                hold_flags=list(hold),
            ),
        )
    except DomainError as error:
        logger.warning("Call %s: no lead (%s)", call.call_sid, error)
        return None
    call.lead = lead
    return lead


def _screened(call: Call) -> str:
    lead = _make_lead(
        call, category=call.category, zip_code=call.zip_code, timeframe=call.timeframe
    )
    if lead is None:
        call.stage, call.outcome = Call.Stage.ENDED, Call.Outcome.HELD
        call.save()
        return twiml.say(
            "Thank you. We could not read your caller ID, so please send your request on "
            "fairlead dot com. Goodbye."
        )
    if lead.status == Lead.Status.REJECTED:
        call.stage, call.outcome = Call.Stage.ENDED, Call.Outcome.HELD
        call.save()
        return twiml.say(
            f"You already asked us for {lead.category.name.lower()} help recently, and "
            "the pros who have your request will call you. Thank you for calling Fairlead. "
            "Goodbye."
        )
    if lead.status != Lead.Status.OPEN:
        call.stage, call.outcome = Call.Stage.ENDED, Call.Outcome.HELD
        call.save()
        return twiml.say(
            "Thank you. Our team will check your request, and a local pro will call you "
            "back at this number. Goodbye."
        )
    if call.timeframe not in policy.LIVE_TIMEFRAMES:
        call.stage, call.outcome = Call.Stage.ENDED, Call.Outcome.NO_PRO
        call.save()
        return twiml.say(
            "Thank you. We are sending your request to local pros, and they will call you "
            "back when you are ready. Goodbye."
        )
    leads.hold_for_live_call(lead)
    return _ring_next(call, intro="Thank you. Connecting you with a local pro. Please hold.")


def _profile_call(call: Call) -> str:
    """A pro's profile number: no menu, their phone rings with the whisper; a miss becomes
    their profile request."""
    pro = call.tracking_number.contractor
    call.category = line_categories(call.tracking_number)[0]
    call.zip_code_id = pro.base_zip_id
    call.timeframe = Lead.Timeframe.WEEKS
    greeting = twiml.greeting(call.tracking_number.label)
    _note(call, "greeting", f"{greeting} Calling {pro.business_name} directly.")
    if call.zip_code_id is None:
        return _to_voicemail(call, why="")
    lead = _make_lead(
        call,
        category=call.category,
        zip_code=call.zip_code,
        timeframe=call.timeframe,
        profile_pro=pro,
    )
    if lead is None or lead.status != Lead.Status.OPEN:
        call.stage, call.outcome = Call.Stage.ENDED, Call.Outcome.HELD
        call.save()
        return twiml.say(f"{greeting} {pro.business_name} will call you back. Goodbye.")
    leads.hold_for_live_call(lead)
    return _ring_next(call, intro=f"{greeting} Connecting you with {pro.business_name}.")


# --- Ringing pros ---------------------------------------------------------------------------


def _takes_calls():
    """Pros who take calls: on, with a ring number proven theirs."""
    return (
        Contractor.objects.filter(call_settings__enabled=True)
        .exclude(call_settings__ring_number="")
        .filter(call_settings__ring_number=F("call_settings__verified_number"))
    )


def _ring_next(call: Call, *, intro: str = "") -> str:
    """Ring the next pro who would be offered the lead and takes calls; nobody left: the
    lead goes to routing as any request, and the caller is told a pro will call back."""
    lead = call.lead
    now = timezone.now()
    rung = list(call.legs.values_list("contractor_id", flat=True))
    left = settings.CALL_MAX_PROS - len(rung)
    found = []
    if left > 0 and lead.status == Lead.Status.OPEN:
        found = leads.live_call_candidates(
            lead, now=now, among=_takes_calls().exclude(pk__in=rung), limit=1
        )
    if not found:
        return _no_pro(call)
    pro, route, price = found[0]
    leg = CallLeg.objects.create(
        call=call,
        contractor=pro,
        position=len(rung) + 1,
        route=route,
        price_cents=price,
        number=pro.call_settings.ring_number,
    )
    call.stage = Call.Stage.RINGING
    _note(call, "ringing", f"Ringing {pro.business_name} ({leg.get_route_display()})")
    call.save()
    return twiml.dial(leg, intro=intro)


def _no_pro(call: Call) -> str:
    if call.lead_id:
        leads.hand_back_to_routing(call.lead)
    call.stage, call.outcome = Call.Stage.ENDED, Call.Outcome.NO_PRO
    call.save()
    return twiml.no_pro()


def _locked_leg(leg_id: int) -> tuple[Call | None, CallLeg | None]:
    leg = CallLeg.objects.filter(pk=leg_id).only("call_id").first()
    if leg is None:
        return None, None
    call = _locked(leg.call_id)  # the call first, as every webhook of it does
    return call, CallLeg.objects.select_related("contractor").get(pk=leg_id)


@transaction.atomic
def whisper(leg_id: int, params: dict) -> str:
    """The pro answered: they hear the job and the fee before the caller is put through."""
    call, leg = _locked_leg(leg_id)
    if (
        leg is None
        or call.stage != Call.Stage.RINGING
        or leg.status
        not in {
            CallLeg.Status.DIALING,
            CallLeg.Status.WHISPERED,
        }
    ):
        return twiml.say("This call has ended. Goodbye.")
    if leg.status == CallLeg.Status.DIALING:
        leg.status, leg.whispered_at = CallLeg.Status.WHISPERED, timezone.now()
        leg.dial_sid = _number(params, "CallSid")
        leg.save(update_fields=["status", "whispered_at", "dial_sid"])
    return twiml.whisper(leg, call.lead)


@transaction.atomic
def whisper_answer(leg_id: int, params: dict) -> str:
    """The pro's key: 1 takes the call (they buy the lead, and are put through), anything
    else passes (the caller's Dial ends, and the next pro is rung)."""
    call, leg = _locked_leg(leg_id)
    if leg is None:
        return twiml.say("This call has ended. Goodbye.")
    if leg.status == CallLeg.Status.TAKEN:
        return twiml.connect()  # a repeated press
    if call.stage != Call.Stage.RINGING or leg.status != CallLeg.Status.WHISPERED:
        return twiml.say("This call has ended. Goodbye.")
    now = timezone.now()
    if (params.get("Digits") or "").strip() != "1":
        leg.status, leg.ended_at = CallLeg.Status.DECLINED, now
        leg.save(update_fields=["status", "ended_at"])
        return twiml.say("You passed on this call. Goodbye.")
    try:
        purchase = leads.take_live_call(
            call.lead,
            contractor=leg.contractor,
            route=leg.route,
            tier=leg.contractor.tier if leg.route == Offer.Route.MARKETPLACE else "",
            price_cents=leg.price_cents,
        )
    except DomainError as error:
        leg.status, leg.ended_at = CallLeg.Status.SKIPPED, now
        leg.save(update_fields=["status", "ended_at"])
        return twiml.say(f"Sorry, you cannot take this call. {error.message} Goodbye.")
    leg.status, leg.taken_at, leg.offer = CallLeg.Status.TAKEN, now, purchase.offer
    leg.save(update_fields=["status", "taken_at", "offer"])
    call.stage, call.outcome = Call.Stage.CONNECTED, Call.Outcome.CONNECTED
    _note(call, "connected", f"{leg.contractor.business_name} took the call")
    call.save()
    return twiml.connect()


@transaction.atomic
def dialed(leg_id: int, params: dict) -> str:
    """The caller's <Dial> to one pro ended. Put through: the bridged duration settles the
    call. Not put through: the next pro is rung. A repeat answers as the first did."""
    call, leg = _locked_leg(leg_id)
    if leg is None:
        return twiml.goodbye()
    status = (params.get("DialCallStatus") or "").strip()
    if leg.status == CallLeg.Status.TAKEN:
        seconds = _seconds(params.get("DialCallDuration"))
        if seconds is not None:
            _settle(call, leg, _talk_seconds(leg, seconds), source="the Dial's report")
        leg.ended_at = leg.ended_at or timezone.now()
        leg.save(update_fields=["ended_at"])
        return twiml.goodbye()
    if leg.status in {CallLeg.Status.DIALING, CallLeg.Status.WHISPERED}:
        leg.status = DIAL_MISSES.get(status, CallLeg.Status.NO_ANSWER)
        leg.ended_at = timezone.now()
        leg.save(update_fields=["status", "ended_at"])
    if call.stage != Call.Stage.RINGING or call.legs.filter(position__gt=leg.position).exists():
        return _repeat(call)  # answered already: the next pro is ringing, or the call ended
    if status == "canceled":
        return _no_pro(call)  # the caller hung up while it rang
    return _ring_next(call, intro="That pro is not available. Trying another local pro.")


@transaction.atomic
def leg_status(leg_id: int, params: dict) -> None:
    """The pro's leg ended (its status callback): its length, whisper included. It settles a
    call only if the caller's own report never comes (settle_stale_calls)."""
    call, leg = _locked_leg(leg_id)
    if leg is None:
        return
    seconds = _seconds(params.get("CallDuration"))
    if seconds is not None and leg.leg_seconds is None:
        leg.leg_seconds = seconds
        leg.ended_at = leg.ended_at or timezone.now()
        leg.save(update_fields=["leg_seconds", "ended_at"])


@transaction.atomic
def call_ended(params: dict) -> None:
    """The caller's call ended (the number's status callback). Hung up while screened: one
    text with a link that fills in what they said. Hung up while ringing: the lead goes to
    routing. During a voicemail: the voicemail's lead."""
    call = Call.objects.filter(call_sid=_number(params, "CallSid")).first()
    if call is None:
        return
    call = _locked(call.pk)
    if call.ended_at is None:
        call.ended_at = timezone.now()
        call.duration_seconds = _seconds(params.get("CallDuration"))
    if call.stage in SCREENING:
        call.stage, call.outcome = Call.Stage.ENDED, Call.Outcome.MISSED
        _text_missed_caller(call)
    elif call.stage == Call.Stage.VOICEMAIL:
        _voicemail_lead(call)
    elif call.stage == Call.Stage.RINGING:
        leg = call.legs.filter(status__in=[CallLeg.Status.DIALING, CallLeg.Status.WHISPERED])
        leg.update(status=CallLeg.Status.CANCELED, ended_at=timezone.now())
        _no_pro(call)
        return
    call.save()


def _text_missed_caller(call: Call) -> None:
    if not call.caller_phone or call.missed_text_sent_at is not None:
        return
    query = []
    if call.category_id:
        query.append(f"category={call.category.slug}")
    if call.zip_code_id:
        query.append(f"zip={call.zip_code_id}")
    link = settings.SITE_URL + reverse("leads:quote") + ("?" + "&".join(query) if query else "")
    if text_number(call.caller_phone, template="call_missed", context={"link": link}):
        call.missed_text_sent_at = timezone.now()


# --- Voicemail ------------------------------------------------------------------------------


def _to_voicemail(call: Call, *, why: str) -> str:
    call.stage, call.retries = Call.Stage.VOICEMAIL, 0
    _note(call, "voicemail", "Asked to leave a voicemail")
    call.save()
    return twiml.voicemail(call, why=why)


@transaction.atomic
def voicemail_done(call_id: int, params: dict) -> str:
    call = _locked(call_id)
    if call is None:
        return twiml.goodbye()
    if call.stage == Call.Stage.VOICEMAIL:
        _voicemail_lead(call)
        call.save()
    return twiml.say("Thank you. A local pro will call you back. Goodbye.")


def _voicemail_lead(call: Call) -> None:
    """A voicemail becomes a lead held for the screeners (they listen, then correct the
    service or the zip): filed under what was gathered, else the line's service and metro."""
    call.stage, call.outcome, call.voicemail = Call.Stage.ENDED, Call.Outcome.VOICEMAIL, True
    if call.lead_id:
        return
    number = call.tracking_number
    zip_code = (
        call.zip_code or number.area_zip or (number.contractor and number.contractor.base_zip)
    )
    category = call.category or line_categories(number)[0]
    if zip_code is None:
        return
    missing = [
        name for name, value in (("service", call.category), ("zip", call.zip_code)) if not value
    ]
    _make_lead(
        call,
        category=category,
        zip_code=zip_code,
        timeframe=call.timeframe or Lead.Timeframe.WEEKS,
        profile_pro=number.contractor,
        hold=[
            (
                LeadFlag.Code.CALL_VOICEMAIL,
                "Voicemail: listen before releasing"
                + (f"; not screened: {', '.join(missing)}" if missing else ""),
            )
        ],
    )


@transaction.atomic
def recording_ready(call_id: int, params: dict) -> None:
    """The voicemail's recording is ready (the <Record> of a call nobody took)."""
    call = _locked(call_id)
    if call is not None and not call.legs.filter(status=CallLeg.Status.TAKEN).exists():
        _keep_recording(call, params, voicemail=True)


@transaction.atomic
def leg_recording_ready(leg_id: int, params: dict) -> None:
    """One pro's <Dial> was recorded. Twilio records from the moment the pro picks up, so
    a pro who heard the whisper and passed (or whose own voicemail answered) leaves a
    recording too: only the call with the pro who took it is kept."""
    call, leg = _locked_leg(leg_id)
    if leg is None:
        return
    if leg.status != CallLeg.Status.TAKEN:
        logger.info("Call %s: recording of leg %s dropped (not put through)", call.pk, leg.pk)
        return
    _keep_recording(call, params, voicemail=False)


def _keep_recording(call: Call, params: dict, *, voicemail: bool) -> None:
    """Kept once, by RecordingSid: a repeat, or another sid later, changes nothing."""
    sid = _number(params, "RecordingSid")
    if not sid or (params.get("RecordingStatus") or "completed") != "completed":
        return
    if call.recording_sid not in (None, sid):
        return
    call.recording_sid = sid
    call.recording_url = (params.get("RecordingUrl") or "")[:300]
    call.recording_seconds = _seconds(params.get("RecordingDuration"))
    call.voicemail = voicemail
    call.save()


def _talk_seconds(leg: CallLeg, leg_seconds: int) -> int:
    """How long the caller and the pro talked: the pro's leg less the whisper (Twilio's
    durations of the dialled leg count from the moment the pro picked up)."""
    whisper = 0
    if leg.whispered_at and leg.taken_at:
        whisper = int((leg.taken_at - leg.whispered_at).total_seconds())
    return max(leg_seconds - whisper, 0)


# --- Money: a qualified call is charged once -----------------------------------------------


def _settle(call: Call, leg: CallLeg, seconds: int | None, *, source: str) -> None:
    """The bridged call lasted `seconds`: charged (once per call sid) if that qualifies,
    recorded either way, and logged as a verified contact attempt. `seconds` None: no
    report ever came, so nothing is charged and nothing is claimed about the call. Settled
    once: a repeated or later report changes nothing. The caller holds the call's lock."""
    if call.settled_at is not None:
        return
    purchase = leg.offer.purchase
    qualified = seconds is not None and policy.qualifies(seconds)
    call.bridged_seconds, call.qualified = seconds, qualified
    call.settled_at = timezone.now()
    call.settle_note = f"{seconds if seconds is not None else 'no'} s, from {source}"[:200]
    lead = call.lead
    minutes = f"{seconds // 60}:{seconds % 60:02d}" if seconds is not None else "unknown"
    if qualified:
        call.charge = leads.charge_live_call(
            purchase,
            amount_cents=leg.price_cents,
            key=f"call:{call.call_sid}",
            memo=f"Call lead {lead.reference}: {lead.category.name} in {lead.zip_code.city}, "
            f"{minutes} qualified call",
        )
        call.fee_cents = leg.price_cents
    call.save()
    if seconds:
        leads.log_contact_attempt(
            purchase,
            channel=ContactAttempt.Channel.CALL,
            result=ContactAttempt.Result.REACHED,
            attempted_at=leg.taken_at or call.started_at,
            note="Call through Fairlead's number",
            verified=True,
            duration_seconds=seconds,
        )
    notify_contractor(
        leg.contractor,
        template="call_settled",
        context={
            "call": call,
            "lead": lead,
            "minutes": minutes,
            "fee": format_cents(leg.price_cents),
            "threshold": settings.CALL_QUALIFIED_SECONDS,
        },
        link=reverse("leads:lead", args=[purchase.pk]),
    )


def settle_stale_calls() -> dict:
    """Beat: calls whose callbacks went missing. A connected call without the caller's
    report is settled from the pro's leg report (less the whisper) after a while, and as
    not qualified after an hour (never charged without evidence). A call stuck ringing
    hands its lead to routing, so it is never lost."""
    now = timezone.now()
    settled = released = 0
    for call_id in Call.objects.filter(
        stage=Call.Stage.CONNECTED,
        settled_at__isnull=True,
        started_at__lte=now - policy.SETTLE_FROM_LEG_AFTER,
    ).values_list("pk", flat=True)[:200]:
        with transaction.atomic():
            call = _locked(call_id)
            leg = (
                call.legs.filter(status=CallLeg.Status.TAKEN)
                .select_related("offer__purchase", "contractor")
                .first()
            )
            if call.settled_at is not None or leg is None:
                continue
            if leg.leg_seconds is not None:
                _settle(call, leg, _talk_seconds(leg, leg.leg_seconds), source="the leg's report")
            elif call.started_at <= now - policy.SETTLE_UNREPORTED_AFTER:
                _settle(call, leg, None, source="no report: not charged")
            else:
                continue
            settled += 1
    for call_id in Call.objects.filter(
        stage=Call.Stage.RINGING, started_at__lte=now - policy.RINGING_GIVE_UP_AFTER
    ).values_list("pk", flat=True)[:200]:
        with transaction.atomic():
            call = _locked(call_id)
            if call.stage == Call.Stage.RINGING:
                call.legs.filter(
                    status__in=[CallLeg.Status.DIALING, CallLeg.Status.WHISPERED]
                ).update(status=CallLeg.Status.NO_ANSWER, ended_at=now)
                _no_pro(call)
                released += 1
    return {"settled": settled, "released": released}


# --- A pro's ring number --------------------------------------------------------------------


def settings_for(contractor: Contractor) -> CallSettings:
    found, _ = CallSettings.objects.get_or_create(contractor=contractor)
    return found


def _start_code_day(row: CallSettings, now) -> None:
    """A new counting day for test calls and wrong codes, a day after the last began."""
    if row.day_started_at is None or now - row.day_started_at >= policy.CODE_DAY:
        row.day_started_at, row.calls_today, row.wrong_codes_today = now, 0, 0


def _digest(settings_row: CallSettings, code: str) -> str:
    key = f"{settings.SECRET_KEY}:{settings_row.pk}:{settings_row.ring_number}:{code}"
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def change_call_settings(
    contractor: Contractor, *, enabled: bool, ring_number: str
) -> CallSettings:
    """Calls on or off, and the number to ring. A new number rings nobody until its test
    call's code is typed back (send_code, confirm_code)."""
    row = CallSettings.objects.select_for_update().get(pk=settings_for(contractor).pk)
    try:
        number = normalize_phone(ring_number) if ring_number.strip() else ""
    except DomainError as error:
        raise DomainError(error.message, field="ring_number") from None
    if enabled and not number:
        raise DomainError("Enter the phone number calls should ring.", field="ring_number")
    if number != row.ring_number:
        row.code_digest, row.code_sent_at, row.code_tries = "", None, 0
    row.enabled, row.ring_number = enabled, number
    row.save()
    return row


class CodeRefused(DomainError):
    status_code = 409
    field = "code"


@transaction.atomic
def send_code(contractor: Contractor) -> str:
    """Ring the pro's number with a spoken four-digit code (by a task, after commit). One
    call a minute. Returns the code, which the page shows only when Twilio is not set up
    (a laptop's demo), since no call can be placed there."""
    row = CallSettings.objects.select_for_update().get(pk=settings_for(contractor).pk)
    if not row.ring_number:
        raise DomainError("Enter the phone number calls should ring first.", field="ring_number")
    now = timezone.now()
    if row.code_sent_at and now - row.code_sent_at < policy.CODE_RESEND_AFTER:
        raise CodeRefused("We just called with a code. Wait a minute before asking again.")
    _start_code_day(row, now)
    if row.calls_today >= policy.CODE_CALLS_PER_DAY:
        raise CodeRefused(
            f"We placed {policy.CODE_CALLS_PER_DAY} test calls in the last 24 hours: try again "
            "tomorrow, or contact Fairlead support."
        )
    code = f"{secrets.randbelow(10_000):04d}"
    row.code_digest, row.code_sent_at, row.code_tries = _digest(row, code), now, 0
    row.calls_today += 1
    row.save()
    enqueue_on_commit(tasks.place_verification_call, row.ring_number, code)
    return code


def confirm_code(contractor: Contractor, code: str) -> CallSettings:
    """The code the test call said, typed back: the ring number is proven the pro's. A
    wrong code counts (CODE_TRIES, then a new call is needed), and that count is kept."""
    row, refused = _check_code(contractor, re.sub(r"\D", "", code or ""))
    if refused:
        raise CodeRefused(refused)
    return row


@transaction.atomic
def _check_code(contractor: Contractor, code: str) -> tuple[CallSettings, str]:
    row = CallSettings.objects.select_for_update().get(pk=settings_for(contractor).pk)
    now = timezone.now()
    if not row.code_digest or now - row.code_sent_at > policy.CODE_VALID_FOR:
        return row, "Ask for a new test call: there is no code waiting, or it expired."
    _start_code_day(row, now)
    if row.wrong_codes_today >= policy.WRONG_CODES_PER_DAY:
        return row, "Too many wrong codes in the last 24 hours. Try again tomorrow."
    if row.code_tries >= policy.CODE_TRIES:
        return row, "Too many wrong codes. Ask for a new test call."
    if not hmac.compare_digest(_digest(row, code), row.code_digest):
        row.code_tries += 1
        row.wrong_codes_today += 1
        row.save()
        return row, "That is not the code the call said. Check it and try again."
    row.verified_number, row.verified_at = row.ring_number, now
    row.code_digest, row.code_tries = "", 0
    row.save()
    return row, ""
