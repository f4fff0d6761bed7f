"""Accounts: users (organizers and society editors), roles and API tokens."""
