"""A pro's call pages: call settings (on/off, the ring number and its test call) and the
recording of a call they bought, played through Fairlead (never a public link)."""

from django.http import Http404


def call_settings(request):
    raise Http404


def recording(request, purchase_id):
    raise Http404
