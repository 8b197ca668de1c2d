from django import template
from django.conf import settings
from django.urls import reverse

from calls import queries
from calls.models import CallLeg

register = template.Library()


@register.inclusion_tag("calls/partials/_call_facts.html")
def call_facts(lead, offer, purchase=None):
    """A call lead as its pro sees it on Offers, Leads and the lead page: a "Call" badge;
    for the pro who took it live, how long they talked, qualified or not, and the fee; and,
    given the purchase, the recording player if it is theirs to hear (queries.may_play).
    Reads the lead's `call` and the offer's `call_leg`, select_related by the lists (leads
    queries): no query per row."""
    call = getattr(lead, "call", None)
    leg = getattr(offer, "call_leg", None)
    took = (
        call is not None
        and leg is not None
        and leg.call_id == call.pk
        and leg.status == CallLeg.Status.TAKEN
    )
    playable = purchase is not None and queries.recording_of(purchase) is not None
    return {
        "call": call,
        "took": took,
        "threshold": settings.CALL_QUALIFIED_SECONDS,
        "play_url": reverse("calls:recording-play", args=[purchase.pk]) if playable else "",
    }
