"""What a message means for the conversation: the step it answers, the ticket it is about.

Pure: the words of the message (`Said`), the question the bot is waiting on (`step`), the
sender's open ticket and whether they hold a ticket as a volunteer, in; a `Move`, out.
The words that mean cancel, thanks, greeting and "about the same problem" are data
(`intents.tsv`), like the triage lexicon. Intent comes before slot: whatever the bot is
waiting for, a message that names a problem is never swallowed as an answer.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from bot.core.address import find_address, names_a_place
from bot.core.triage import Triage
from bot.core.triage.normalize import normalize

KINDS = ("greeting", "thanks", "cancel", "fixed", "notfixed", "more", "no", "yes", "keep", "unknown", "noted",
         "rate5", "rate4", "rate3", "rate2", "rate1", "lang_zh", "lang_en")
# Kinds that say something of their own (the others only answer a question: yes, stars, a language).
SAYINGS = frozenset({"greeting", "thanks", "cancel", "fixed", "notfixed", "more", "keep", "unknown", "noted"})
# A reply this short to "what is your name / building / unit / room?" is taken as the answer
# unless it is an emergency ("李火生" is a name, not a fire).
SHORT_ANSWER = 12


class Move(enum.Enum):
    ANSWER = "answer"            # the answer to the question the bot is waiting on
    NEW = "new"                  # a new request: a ticket
    UPDATE = "update"            # more about the open ticket
    ASK_CANCEL = "ask_cancel"    # "Cancel #N?" with buttons
    CONFIRM = "confirm"          # a resolved ticket's resident says it is fixed: close the loop
    NOT_FIXED = "not_fixed"      # a resolved ticket's resident says it is not: back to the volunteer
    THANKS = "thanks"            # thanks with nothing to close
    GREETING = "greeting"        # a short menu
    NOTHING_OPEN = "nothing_open"  # "cancel" with no open ticket
    RELAY = "relay"              # a volunteer holding a ticket: "Send to the resident of #N?"
    REASK = "reask"              # not an answer and not a problem: ask the question again
    FRAGMENT = "fragment"        # "我家", "厨房": the start of a sentence; wait for the rest
    NOTHING = "nothing"          # only emoji or punctuation: a kind word, no ticket
    NOTED = "noted"              # "收到", "OK got it" (to a notice, say): a kind word back, no ticket
    BLANK = "blank"              # nothing visible at all (spaces, zero-width): "please write what you need"


@dataclass(frozen=True)
class Said:
    """One message as the conversation reads it."""

    text: str
    kinds: frozenset[str]
    urgency: str
    category: str
    named: bool          # triage recognised a problem (not just "nothing recognised")
    place: bool          # names a flat or a landmark
    flat: bool           # names a building, unit or room

    @property
    def red_flag(self) -> bool:
        return self.urgency == "emergency"

    def topic_differs(self, ticket: "OpenTicket") -> bool:
        """Words about another kind of thing than the ticket (the lift, when the ticket is
        about water), even when triage found no problem term in them."""
        return self.urgency != "info" and self.category not in (ticket.category, "admin")


@dataclass(frozen=True)
class OpenTicket:
    id: int
    status: str
    category: str


@lru_cache(maxsize=1)
def _words() -> dict[str, tuple[list[str], list[str]]]:
    """kind -> (Chinese terms, English terms) from intents.tsv."""
    words: dict[str, tuple[list[str], list[str]]] = {kind: ([], []) for kind in KINDS}
    text = resources.files("bot.core").joinpath("intents.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        lang, kind, terms = line.split("\t")
        if kind not in words:
            raise ValueError(f"intents.tsv: unknown kind {kind!r}")
        for term in terms.split(","):
            han, latin = normalize(term.strip())
            (words[kind][0].append(han) if lang == "zh" else words[kind][1].append(latin))
    return words


def _longest(kind: str, han: str, latin: str) -> int:
    """Length of the longest term of `kind` in the text (0: none)."""
    zh, en = _words()[kind]
    return max([len(t) for t in zh if t and t in han] + [len(t) for t in en if t.strip() and t in latin] + [0])


def kinds_of(text: str) -> frozenset[str]:
    han, latin = normalize(text[:2000])
    found = {kind for kind in KINDS if _longest(kind, han, latin)}
    if "keep" in found:
        found.discard("cancel")  # "不要取消", "don't cancel"
    return frozenset(found)


def stars_of(text: str) -> int | None:
    """The stars in a typed rating ("5", "五星", "非常满意", "excellent"): the longest term wins,
    so 不满意 is not 满意."""
    if len(text.strip()) > SHORT_ANSWER:
        return None  # "5号楼2单元301" is not five stars
    han, latin = normalize(text)
    best = max(((_longest(f"rate{n}", han, latin), n) for n in range(1, 6)), default=(0, 0))
    return best[1] if best[0] else None


def language_of(text: str) -> str | None:
    """"中文" or "English" typed at the language question."""
    kinds = kinds_of(text)
    if len(text.strip()) > SHORT_ANSWER:
        return None
    return "zh" if "lang_zh" in kinds else "en" if "lang_en" in kinds else None


def pick(said: "Said", tickets: list["OpenTicket"]) -> "OpenTicket | None":
    """Which of the sender's open requests a message is about: the newest one of the kind it
    names ("水那个不用了": the water one), else the newest."""
    if not tickets:
        return None
    if said.category != "admin":
        for ticket in tickets:
            if ticket.category == said.category:
                return ticket
    return tickets[0]


def read(text: str, verdict: Triage) -> Said:
    return Said(
        text=text, kinds=kinds_of(text), urgency=verdict.urgency, category=verdict.category,
        named=verdict.names_a_problem, place=names_a_place(text), flat=bool(find_address(text)),
    )


def fits(step: str | None, question: str | None, said: Said) -> bool:
    """Is this message an answer to the question the bot asked? `question` is the
    registration field being asked (phone, name, building, ...), when step is "profile"."""
    if step == "describe":
        return not is_empty(said.text) and not said.red_flag  # "what is wrong?": the words are the answer
    if step is None or said.red_flag:
        return False
    if step == "ticket_address":
        # a flat; or a landmark with nothing else said ("谢谢社区" names a place but answers
        # nothing) and no problem worse than routine ("near the north gate" has a gate in it)
        return said.flat or (said.place and said.urgency in ("info", "routine") and not said.kinds & SAYINGS)
    if step == "language":
        return language_of(said.text) is not None
    if step == "rating":
        return stars_of(said.text) is not None and not said.named
    if step == "rating_comment":
        return not said.named
    if step == "profile":
        if question in ("name", "building", "unit", "room") and len(said.text.strip()) <= SHORT_ANSWER:
            return True
        return not said.named
    return False  # "relay" waits for a button


def decide(said: Said, step: str | None, question: str | None, ticket: OpenTicket | None, holding: bool) -> Move:
    """What to do with a text message. The order is the rule: an answer that fits, a
    volunteer's words for their resident, then the open ticket's thread, then a new request."""
    if fits(step, question, said):
        return Move.ANSWER
    if holding and not said.red_flag:
        return Move.RELAY
    kinds = said.kinds
    if ticket is not None:
        resolved = ticket.status == "resolved"
        same = said.category == ticket.category
        if said.red_flag and (not same or resolved):
            return Move.NEW  # a red flag after "it's done" is a new emergency, not a "not yet"
        if resolved and _not_fixed(said, same):
            return Move.NOT_FIXED
        if kinds & {"cancel", "fixed"} and "notfixed" not in kinds and not (said.red_flag or "more" in kinds):
            return Move.CONFIRM if resolved else Move.ASK_CANCEL
        if resolved and "yes" in kinds and len(said.text.strip()) <= SHORT_ANSWER:
            return Move.CONFIRM
        if "thanks" in kinds and not said.named:
            return Move.CONFIRM if resolved else Move.THANKS
        if _just_a_greeting(said):
            return Move.GREETING
        if (said.named or said.topic_differs(ticket)) and not same and "more" not in kinds:
            return Move.NEW
        return Move.UPDATE
    if _just_a_greeting(said):
        return Move.GREETING
    if said.named:
        return Move.NEW
    if "thanks" in kinds:
        return Move.THANKS
    if kinds & {"cancel", "fixed"}:
        return Move.NOTHING_OPEN
    if step is not None and step != "fragment":
        return Move.REASK
    if is_empty(said.text):
        return Move.NOTHING
    if just_noted(said):
        return Move.NOTED
    if is_fragment(said):
        return Move.FRAGMENT
    return Move.NEW  # a question or words we cannot read: a person reads it (an info or routine ticket)


# A greeting is a greeting when it is all the message says: "喂" or "hello anyone there",
# not "你好，我家水管爆了".
GREETING_LENGTH = 24


# what may be left of "got it" once its words are taken out: particles and courtesy, nothing said
_NOTED_FILLER = frozenset("了啊呀哈啦嗯哦噢喔哒滴的吧")
_HAN = re.compile(r"[\u3400-\u9fff]")


def just_noted(said: Said) -> bool:
    """"收到", "好的，知道了", "OK got it": all the message says is that it was read (the answer
    to an announcement). Not "收到快递了吗", "没收到", "not ok": nothing else may be left once the
    words of "got it" are taken out."""
    if "noted" not in said.kinds or said.named or said.red_flag or "?" in said.text or "？" in said.text:
        return False
    if len(said.text.strip()) > SHORT_ANSWER:
        return False
    han, latin = normalize(said.text)
    zh, en = _words()["noted"]
    for term in sorted(zh, key=len, reverse=True):
        han = han.replace(term, "") if term else han
    for term in (t.strip() for t in sorted(en, key=len, reverse=True)):
        while term and f" {term} " in latin:   # "ok ok"
            latin = latin.replace(f" {term} ", " ")
    return not [c for c in _HAN.findall(han) if c not in _NOTED_FILLER] and not latin.split()


def _not_fixed(said: Said, same: bool) -> bool:
    """The answer to "is it fixed?" is no: "还没好", "no", "没有 还是凉的", or the same problem again."""
    if "notfixed" in said.kinds:
        return True
    if said.kinds & {"fixed", "thanks"}:
        return False
    return "no" in said.kinds and len(said.text.strip()) <= 2 * SHORT_ANSWER or (said.named and same)


def _just_a_greeting(said: Said) -> bool:
    return "greeting" in said.kinds and not said.red_flag and (
        not said.named or len(said.text.strip()) <= GREETING_LENGTH // 3)


_ONLY_PUNCTUATION = re.compile(r"^[\W_]*$")
# Up to this many characters of Chinese, or words of English, with nothing recognised in them,
# is the start of a sentence typed in pieces ("我家" / "厨房" / "漏水了"), not a request yet.
FRAGMENT_HAN, FRAGMENT_WORDS = 4, 2
FRAGMENT_MAX = 60  # pieces joined up to this length; past it, what we have is a request


def is_empty(text: str) -> bool:
    return bool(_ONLY_PUNCTUATION.match(text))


# Characters that show nothing: the fillers people paste to send a message that looks empty
# (Hangul fillers, the braille blank); with spaces, format characters (zero-width space and
# joiners, BOM, word joiner), controls and marks with nothing to sit on.
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_INVISIBLE = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me"})


def is_blank(text: str) -> bool:
    """Nothing to read at all: "please write what you need", never a ticket or an answer."""
    return all(ch in _FILLERS or ch.isspace() or unicodedata.category(ch) in _INVISIBLE for ch in text)


def is_fragment(said: Said) -> bool:
    if said.named or said.urgency != "routine" or "?" in said.text or "？" in said.text:
        return False
    han, latin = normalize(said.text)
    return len(han) <= FRAGMENT_HAN if not latin.strip() else len(latin.split()) <= FRAGMENT_WORDS
