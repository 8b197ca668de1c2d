"""Exclusive zip + category subscriptions, their pricing and the availability map."""
