"""Notifications: messages queued in the outbox inside the same transaction as the change
that caused them (so nothing is sent for a change that rolled back); jobs deliver them."""
