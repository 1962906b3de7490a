"""Phone numbers by the book (libphonenumber): one number, one key, in E.164 ("+861065123456"), so
the committee's spreadsheet, a typed answer and Telegram's shared contact name a person the same way."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberMatcher

DEFAULT_REGION = "CN"  # the committee's default (PHONE_REGION): how a number without +country is read


def is_region(code: str) -> bool:
    return code in phonenumbers.SUPPORTED_REGIONS


def normalize_phone(raw: str | None, region: str = DEFAULT_REGION, international: bool = False) -> str | None:
    """E.164, or None when it is not a valid number ("123456", "hello").

    `international`: the number comes from a Telegram contact, which is always international
    but may lack its "+" ("16502530000" is a US number there, not a Chinese mobile), so it is
    read that way first; a client that sent the national form still falls back to the region."""
    if not raw or not raw.strip():
        return None
    text = raw.strip()
    tries = ["+" + text.lstrip("0")] if international and not text.startswith("+") else []
    for candidate in [*tries, text]:
        try:
            number = phonenumbers.parse(candidate, region)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return None


def split_contact(text: str, region: str = DEFAULT_REGION) -> tuple[str, str | None]:
    """'Li Ming 138 0000 1111' -> ('Li Ming', '+8613800001111'); no valid number -> (text, None)."""
    for match in PhoneNumberMatcher(text, region):
        name = (text[: match.start] + " " + text[match.end:]).strip(" ,，:：;；")
        return " ".join(name.split()), phonenumbers.format_number(match.number, PhoneNumberFormat.E164)
    return text.strip(), None


# -- converting the numbers stored before (migration 007) -------------------------------------------


@dataclass(frozen=True)
class Stored:
    """A number as a row holds it, and whether the row is linked to a Telegram account."""

    id: int
    phone: str
    linked: bool = False


@dataclass(frozen=True)
class Clash:
    """Two rows whose numbers become the same: `kept` gets the E.164 form, `other` keeps its text."""

    phone: str
    kept: int
    other: int
    other_phone: str


@dataclass
class Renumbering:
    changes: dict[int, str] = field(default_factory=dict)   # row id -> E.164, only where it changes
    clashes: list[Clash] = field(default_factory=list)
    invalid: list[Stored] = field(default_factory=list)    # not a valid number: kept as it was


def renumber(rows: Iterable[Stored], region: str = DEFAULT_REGION) -> Renumbering:
    """The E.164 form of every stored number. When several rows become one number (the same line
    typed two ways), the row linked to Telegram keeps it (else the oldest); the others keep their
    text, so nothing is lost and nothing is merged behind the committee's back."""
    result = Renumbering()
    groups: dict[str, list[Stored]] = {}
    for row in rows:
        e164 = normalize_phone(row.phone, region)
        if e164 is None:
            result.invalid.append(row)
        else:
            groups.setdefault(e164, []).append(row)
    for e164, holders in groups.items():
        # a row that already holds the E.164 text first (it cannot move), then a linked one, then the oldest
        holders.sort(key=lambda r: (r.phone != e164, not r.linked, r.id))
        kept, *others = holders
        if kept.phone != e164:
            result.changes[kept.id] = e164
        result.clashes.extend(Clash(e164, kept.id, other.id, other.phone) for other in others)
    return result
