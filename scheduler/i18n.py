"""Translation helpers that do not need Flask: N_ marks a message for extraction only."""


def N_(message: str) -> str:
    return message
