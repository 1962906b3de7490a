"""Who may have a phone number, and so the record it names: pure rules, unit-tested.

Only Telegram's proof (a contact shared with the request-contact button, whose user_id is the
sender's own) or the committee's word (an import, an admin's approval) ties a number to a person.
A typed number, or somebody else's contact card, is a claim: it never links a record and never
tells the claimant whether one exists; the committee decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# how a number on a record came to be there (residents.phone_source)
IMPORTED, PROVEN, TYPED = "import", "contact", "typed"


class Claim(StrEnum):
    """How a person gave a number."""

    PROVEN = "contact"     # their own contact, shared with the button (user_id is theirs)
    CARD = "card"          # a contact card from the address book: somebody's, not proof
    TYPED = "typed"


class Outcome(StrEnum):
    STORE = "store"            # nobody else has it (or it is theirs already): on their own record
    LINK = "link"              # proven, and the record that has it is linked to nobody: it is theirs
    TAKE_BACK = "take_back"    # proven, and another account only typed it: it moves to the owner
    PENDING = "pending"        # a claim on someone's number: nothing stored, the committee decides
    REFUSED = "refused"        # proven, but another account holds it by proof or the committee's word


@dataclass(frozen=True)
class Holder:
    """The record that has the number now."""

    resident_id: int
    telegram_id: int | None
    source: str | None        # IMPORTED, PROVEN, TYPED (None: from before sources were kept)


def phone_claim(me: int, own_record: int | None, claim: Claim, holder: Holder | None) -> Outcome:
    """What a number given by account `me` (whose record, if any, is `own_record`) does."""
    if holder is None or holder.resident_id == own_record or holder.telegram_id == me:
        return Outcome.STORE
    if claim is not Claim.PROVEN:
        return Outcome.PENDING
    if holder.telegram_id is None:
        return Outcome.LINK
    return Outcome.TAKE_BACK if holder.source == TYPED else Outcome.REFUSED


def source_of(claim: Claim) -> str:
    """The phone_source a number stored on one's own record gets."""
    return PROVEN if claim is Claim.PROVEN else TYPED


# a record the committee links to an account keeps what it knows; the person's answers fill only
# what it lacks (the flat as one block: a building from one and a room from the other is no address)
FILL_FIELDS = ("name", "birth_year", "emergency_contact_name", "emergency_contact_phone",
               "emergency_contact_telegram_id")
ADDRESS_FIELDS = ("building", "unit", "room", "grid")


def merged(record: dict, own: dict) -> dict:
    """The values of `own` (the account's record made in the bot) that `record` (the committee's)
    takes when the two become one: only where the record has nothing."""
    values = {name: own[name] for name in FILL_FIELDS if not record.get(name) and own.get(name)}
    if not record.get("building") and own.get("building"):
        values.update({name: own.get(name) for name in ADDRESS_FIELDS})
    if not record.get("phone") and own.get("phone"):
        values.update(phone=own["phone"], phone_source=own.get("phone_source"))
    return values
