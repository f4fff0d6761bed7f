"""Sharing: QR codes, share cards (PNG posters) and the embeddable calendar for other sites.

``qr.py`` and ``card.py`` are pure (plain values in, bytes out); ``views.py`` is the shell.
"""
