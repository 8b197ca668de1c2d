"""Twilio's side of a call, offline: the simulator's Phone, driven step by step through the
test client (calls/simulator.py posts the form fields Twilio posts, signed as Twilio signs
them, to the URLs our TwiML names)."""

from calls.simulator import ACCOUNT_SID, Phone, TwiML, new_sid

__all__ = ["ACCOUNT_SID", "Phone", "TwiML", "new_sid"]
