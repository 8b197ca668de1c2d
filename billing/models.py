"""Balances and the ledger, lead pricing, Stripe top-ups and subscriptions, statements."""
