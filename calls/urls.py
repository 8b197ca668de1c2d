"""Calls: Twilio's voice webhooks, a pro's call pages, and ops' recording player."""

from django.urls import path

from . import api, views, webhooks

app_name = "calls"

VOICE = "webhooks/twilio/voice/"

webhook_urls = [
    path(VOICE, webhooks.incoming, name="voice"),
    path(f"{VOICE}status/", webhooks.call_status, name="call-status"),
    path(f"{VOICE}calls/<id:call_id>/<str:step>/", webhooks.gather, name="gather"),
    path(f"{VOICE}calls/<id:call_id>/voicemail/done/", webhooks.voicemail, name="voicemail"),
    path(f"{VOICE}calls/<id:call_id>/recording/ready/", webhooks.recording, name="recording"),
    path(f"{VOICE}legs/<id:leg_id>/whisper/", webhooks.whisper, name="whisper"),
    path(f"{VOICE}legs/<id:leg_id>/answer/", webhooks.whisper_answer, name="whisper-answer"),
    path(f"{VOICE}legs/<id:leg_id>/dialed/", webhooks.dialed, name="dialed"),
    path(f"{VOICE}legs/<id:leg_id>/status/", webhooks.leg_status, name="leg-status"),
    path(f"{VOICE}legs/<id:leg_id>/recording/", webhooks.leg_recording, name="leg-recording"),
]

dashboard_urls = [
    path("dashboard/calls/", views.call_settings, name="settings"),
    path("dashboard/calls/code/", views.send_code, name="send-code"),
    path("dashboard/calls/verify/", views.confirm_code, name="verify"),
    path("dashboard/leads/<id:purchase_id>/recording/", views.recording, name="recording-play"),
]

ops_urls = [
    path("ops/calls/<id:call_id>/recording/", views.recording_for_ops, name="recording-staff"),
]

urlpatterns = webhook_urls + dashboard_urls + ops_urls

# Under /api/v1/, in the project-wide `api` namespace.
api_urlpatterns = [
    path("call-settings/", api.CallSettingsView.as_view(), name="call-settings"),
    path("call-settings/code/", api.CallSettingsCode.as_view(), name="call-settings-code"),
    path("call-settings/verify/", api.CallSettingsVerify.as_view(), name="call-settings-verify"),
    path("calls/", api.CallList.as_view(), name="calls"),
]
