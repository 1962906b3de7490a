"""The rest of a ticket's life, the pure part: reading `/cancel [N]`, `/reply N TEXT` and
`/close N [REASON]` (their words kept as typed, line breaks and all), and what becomes of a text
typed after 💬 Message / 💬 Reply (a relay: see bot/services/relays.py)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from bot.core import lifecycle

REPLY_MAX = 2000          # the committee's answer to a resident: one readable message
REASON_MAX = 300          # why a ticket was closed: a line, not a letter
RELAY_MAX = 2000          # one message through the bot
RELAY_SECONDS = 30 * 60   # how long after 💬 Message the next text still goes to the other side


@dataclass(frozen=True)
class Command:
    """A ticket command's words: its number (None when none was typed) and the rest."""

    number: int | None
    text: str
    problem: str | None = None   # "number": the first word is no ticket number; "long": the rest is over the limit


def ticket_number(word: str) -> int | None:
    """'12', '#12', '＃１２' -> 12; anything else None."""
    word = unicodedata.normalize("NFKC", word).strip().lstrip("#")
    return int(word) if word.isascii() and word.isdigit() and len(word) <= 9 else None


def read_command(message: str, limit: int) -> Command:
    """`/reply@frontdesk_bot 12 Hello,\\nthe water…` -> Command(12, 'Hello,\\nthe water…'). The
    command word goes, the first word is the number, the rest is the text with its line breaks
    (PTB's context.args would lose them). A text longer than `limit` is a problem, not cut."""
    parts = message.strip().split(maxsplit=1)
    rest = message
    if parts and parts[0].startswith("/"):
        rest = parts[1] if len(parts) == 2 else ""
    words = rest.strip().split(maxsplit=1)
    if not words:
        return Command(None, "")
    number = ticket_number(words[0])
    text = words[1].strip() if len(words) == 2 else ""
    if number is None:
        return Command(None, rest.strip(), "number")
    if len(text) > limit:
        return Command(number, text, "long")
    return Command(number, text)


# What a text typed after 💬 Message / 💬 Reply becomes:
SEND = "send"            # it goes to the other side of the ticket
EXPIRED = "expired"      # the window passed: read like any text
ENDED = "ended"          # the ticket is finished, or no longer this claimant's
EMERGENCY = "emergency"  # a resident's words of danger: a request first, never only passed on


def relay_outcome(side: str, expires_at: float, now: float, status: str | None, still_theirs: bool,
                  emergency: bool) -> str:
    """The fate of one relayed text. `status`: the ticket's now (None: gone); `still_theirs`: the
    writer is still its claimant (side "claimant") or its reporter (side "resident"); `emergency`:
    the words read as an emergency. A resident's emergency is checked before anything else, so no
    window, open or closed, can swallow one."""
    if side == "resident" and emergency:
        return EMERGENCY
    if now >= expires_at:
        return EXPIRED
    if status != lifecycle.CLAIMED or not still_theirs:
        return ENDED
    return SEND
