"""Twilio's voice webhooks. Every request is signature-checked first (a bad or missing
signature: 403, nothing written); each answers TwiML at once, doing only database work
inline (the slow parts, placing calls and sending texts, go to tasks after commit)."""

import functools

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from marketplace import notifications

from . import services

STEPS = {"service", "zip", "ready"}


def twilio_voice(view):
    @csrf_exempt
    @require_POST
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        params = request.POST.dict()
        try:
            notifications.verify_twilio(
                settings.SITE_URL + request.get_full_path(),
                params,
                request.headers.get("X-Twilio-Signature", ""),
            )
        except notifications.TwilioRejected as error:
            return HttpResponse(str(error), status=403, content_type="text/plain")
        answer = view(request, params, *args, **kwargs)
        if answer is None:
            return HttpResponse(status=204)
        return HttpResponse(answer, content_type="text/xml")

    return wrapper


@twilio_voice
def incoming(request, params):
    return services.incoming(params)


@twilio_voice
def gather(request, params, call_id, step):
    if step not in STEPS:
        return services.twiml.goodbye()
    return services.gather(call_id, step, params)


@twilio_voice
def voicemail(request, params, call_id):
    return services.voicemail_done(call_id, params)


@twilio_voice
def recording(request, params, call_id):
    services.recording_ready(call_id, params)


@twilio_voice
def call_status(request, params):
    services.call_ended(params)


@twilio_voice
def whisper(request, params, leg_id):
    return services.whisper(leg_id, params)


@twilio_voice
def whisper_answer(request, params, leg_id):
    return services.whisper_answer(leg_id, params)


@twilio_voice
def dialed(request, params, leg_id):
    return services.dialed(leg_id, params)


@twilio_voice
def leg_status(request, params, leg_id):
    services.leg_status(leg_id, params)


@twilio_voice
def leg_recording(request, params, leg_id):
    services.leg_recording_ready(leg_id, params)
