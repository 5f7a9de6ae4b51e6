"""Personal identifiers: keep only a mask for display and a keyed fingerprint for matching."""

import hashlib
import hmac

MASK_CHARACTER = "•"


def normalise_identifier(value: str) -> str:
    """Upper-case and drop spaces, dots and dashes so "12.345-678" equals "12345678"."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


def mask_identifier(value: str) -> str:
    """Show at most the last 4 characters, and never more than a third of the identifier."""
    clean = normalise_identifier(value)
    if not clean:
        return ""
    shown = min(4, len(clean) // 3)
    return MASK_CHARACTER * (len(clean) - shown) + clean[len(clean) - shown :]


def fingerprint_identifier(value: str, key: str) -> str:
    """Keyed SHA-256 of the normalised identifier: equal ids match, the id is not recoverable."""
    clean = normalise_identifier(value)
    if not clean:
        return ""
    return hmac.new(key.encode(), clean.encode(), hashlib.sha256).hexdigest()
