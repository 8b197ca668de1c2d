"""Calls: Twilio's voice webhooks, and the pages of a pro's calls."""

from django.urls import path

from . import views, webhooks

app_name = "calls"

VOICE = "webhooks/twilio/voice/"

urlpatterns = [
    path(VOICE, webhooks.incoming, name="voice"),
    path(f"{VOICE}status/", webhooks.call_status, name="call-status"),
    path(f"{VOICE}calls/<int:call_id>/<str:step>/", webhooks.gather, name="gather"),
    path(f"{VOICE}calls/<int:call_id>/voicemail/done/", webhooks.voicemail, name="voicemail"),
    path(f"{VOICE}calls/<int:call_id>/recording/ready/", webhooks.recording, name="recording"),
    path(f"{VOICE}legs/<int:leg_id>/whisper/", webhooks.whisper, name="whisper"),
    path(f"{VOICE}legs/<int:leg_id>/answer/", webhooks.whisper_answer, name="whisper-answer"),
    path(f"{VOICE}legs/<int:leg_id>/dialed/", webhooks.dialed, name="dialed"),
    path(f"{VOICE}legs/<int:leg_id>/status/", webhooks.leg_status, name="leg-status"),
    path("dashboard/calls/", views.call_settings, name="settings"),
    path("dashboard/leads/<int:purchase_id>/recording/", views.recording, name="recording-play"),
]

# Under /api/v1/, in the project-wide `api` namespace.
api_urlpatterns = []
