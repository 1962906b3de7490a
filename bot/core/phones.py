"""Phone numbers in one canonical form, so an imported record and a shared contact match."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\D+")
_FIND = re.compile(r"\+?\d[\d\s\-()]{5,18}\d")


def normalize_phone(raw: str | None) -> str | None:
    """Digits only, without a +86 / 0086 country prefix; None if it is not a phone number."""
    if not raw:
        return None
    digits = _DIGITS.sub("", raw)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            digits = digits[len(prefix):]
    return digits if 6 <= len(digits) <= 15 else None


def split_contact(text: str) -> tuple[str, str | None]:
    """'Li Ming 138 0000 1111' -> ('Li Ming', '13800001111')."""
    match = _FIND.search(text)
    if not match:
        return text.strip(), None
    name = (text[: match.start()] + " " + text[match.end():]).strip(" ,，:：;；")
    return " ".join(name.split()), normalize_phone(match.group())
