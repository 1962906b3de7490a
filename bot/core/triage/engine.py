"""The classifier: lexicon hits, negation scope, combos and modifiers to one verdict.

The order of judgement follows ../shared/triage/GUIDE.md:
1. every problem term and family combo proposes an urgency and a category; a longer term hides
   a shorter one inside it (打不着火 is not 着火);
2. a negated term (没有煤气味, no smell) proposes nothing: that danger is absent;
3. "over" words (灭了, fixed, 没摔伤) end the problems of their category, or all of them: a red
   flag over and past leaves what is left to do, or info; without a past time it stays urgent;
   anything still happening (还在, still) means nothing is over;
4. "not urgent" lowers urgent to routine, never a red flag, and not while it keeps growing;
   otherwise "needed today" and a vulnerable person raise routine needs of daily life to urgent;
5. a question about an announcement or a procedure with nothing broken, thanks, "I'm fine": info;
   words we cannot read with a danger word among them: urgent.
Between proposals (Proposal.weight): the higher urgency, then a term urgent by itself over one
raised, then a combo over a single term, then the category whose owner must act first (PRECEDENCE).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from bot.core.triage.lexicon import CATEGORIES, RANK, URGENCIES, Entry, Lexicon, Matcher, load_lexicon
from bot.core.triage.model import Model, default_model, second_opinion
from bot.core.triage.normalize import normalize

PRECEDENCE = (
    "fire", "gas", "lift", "water", "power", "security", "medical", "heating", "care",
    "sanitation", "infrastructure", "dispute", "admin",
)
# Needs of daily life: for these a vulnerable person makes a routine problem urgent.
# Care requests (a visit, laundry, a bath) are made by vulnerable people by nature: not raised;
# their urgent forms (no food, cannot cook) are urgent terms of their own.
RAISED_BY_VULNERABILITY = {"water", "power", "heating", "gas", "medical", "lift"}
_HAN_CHAR = re.compile(r"[\u4e00-\u9fff]")
# An age of 65 or more, said the ways people say it: "I am 86", "(79)", "88 year old", "八十五岁".
_AGE = r"(?:6[5-9]|[7-9]\d|10\d)"
_OLD_AGE = re.compile(
    rf"(?:\b(?:i am|i'm|im|is|aged|age|mum|mom|dad|mother|father)\s+{_AGE}\b)|(?:\b{_AGE}\s*(?:years?|yrs?|yo|y/o)\b)"
    rf"|(?:\({_AGE}\))|(?:{_AGE}\s*岁)|(?:{_AGE}\s*了)"
)
_LATIN_WORD = re.compile(r"[a-z]{2,}")
# "if" in the words' own sentence: with "asking in advance" the whole message is a what-if
_WHAT_IF = re.compile(r"如果|要是|万一|假如|假设|怎么看出|怎么判断|碰到有人|遇到有人|\bif\b|\bin case\b|\bhow (?:to|do you|can i) tell\b")
# Words of doubt that contain a negation character but do not negate: 是不是, 不知道.
_DOUBT = ("是不是", "不知道", "不确定", "说不定", "不清楚", "没事")
# Kinds whose terms a negation cancels ("no smell", 没有冒烟); a topic stays a topic.
NEGATABLE = {"problem", "cue", "danger"}
# Longest match: a longer term of these kinds hides a shorter problem, over or calm inside it
# (a topic is never hidden: it names the thing, and its family feeds the combos).
SHADOWING = {"problem", "over", "calm", "topic"}
SHADOWED = {"problem", "over", "calm", "cue"}
NOTHING_RECOGNISED = "routine: nothing recognised"
DANGER_FLOOR = "urgent: unrecognised, danger words: "


@dataclass(frozen=True)
class Triage:
    urgency: str
    category: str
    reasons: tuple[str, ...] = ()
    lang: str = "zh"
    unsure: bool = False  # danger words without a problem we know, or engine and model disagree

    @property
    def names_a_problem(self) -> bool:
        """Something was recognised as a problem (not info, not "nothing recognised")."""
        return self.urgency != "info" and not any(r.startswith(NOTHING_RECOGNISED) for r in self.reasons)


@dataclass
class _Hit:
    entry: Entry
    negated: bool
    spans: list[tuple[int, int]] = field(default_factory=list)
    text: str = "han"


@dataclass(frozen=True)
class Proposal:
    """One reading of the message: an urgency and a category, and the term or combo behind it."""

    urgency: str
    category: str
    why: str
    combo: bool = False
    raised: bool = False

    def at(self, urgency: str) -> "Proposal":
        return Proposal(urgency, self.category, self.why, self.combo, raised=RANK[urgency] > RANK[self.urgency])

    def weight(self) -> tuple[int, bool, bool, int]:
        """The highest urgency; at the same urgency a term urgent by itself says more than one
        raised by a modifier, a combo (two families: sparks + socket) more than one term alone,
        then the category whose owner must act first."""
        return RANK[self.urgency], not self.raised, self.combo, -PRECEDENCE.index(self.category)


@dataclass
class _Evidence:
    hits: list[_Hit] = field(default_factory=list)

    def present(self, kind: str) -> list[Entry]:
        return [h.entry for h in self.hits if h.entry.kind == kind and not h.negated]

    def has(self, kind: str) -> bool:
        return any(h.entry.kind == kind and not h.negated for h in self.hits)

    def negated(self) -> list[Entry]:
        return [h.entry for h in self.hits if h.negated]


def detect_language(text: str) -> str:
    han = len(_HAN_CHAR.findall(text))
    words = len(_LATIN_WORD.findall(text.lower()))
    return "zh" if han / 1.5 >= words and han > 0 else ("en" if words else "zh")


class Engine:
    def __init__(self, lexicon: Lexicon, model: Model | None = None) -> None:
        self.lexicon = lexicon
        self.model = model
        self._neg_han = [m.needle for m in lexicon.han if m.entry.kind == "neg"]
        self._neg_latin = {m.needle.strip() for m in lexicon.latin if m.entry.kind == "neg"}
        self._combos = {(c.first, c.second): c for c in lexicon.combos}

    def classify(self, text: str) -> Triage:
        lang = detect_language(text)
        han, latin = normalize(text[:2000])
        evidence = _Evidence(self._find(han, self.lexicon.han, self._negated_han)
                             + self._find(latin, self.lexicon.latin, self._negated_latin))
        if _OLD_AGE.search(text.lower()):
            evidence.hits.append(_Hit(Entry("en", "age 65+", "vulnerable"), False))
        if "?" in text or "？" in text:
            evidence.hits.append(_Hit(Entry("en", "?", "ask"), False))
        if _WHAT_IF.search(text.lower()):
            evidence.hits.append(_Hit(Entry("en", "if", "what_if"), False))
        urgency, category, reasons = self._judge(evidence)
        unsure = bool(reasons) and reasons[0].startswith(DANGER_FLOOR)
        return second_opinion(Triage(urgency, category, tuple(reasons), lang, unsure), self.model, text)

    # -- finding terms ---------------------------------------------------------------

    def _find(self, text: str, matchers: Sequence[Matcher],
              negated: Callable[[str, int, set[int]], bool]) -> list[_Hit]:
        """The terms in one script's text, each marked negated when every place it occurs is."""
        hits = _drop_shadowed([
            _Hit(m.entry, False, spans)
            for m in matchers
            if m.entry.kind != "neg" and (spans := _spans(text, m.needle, m.pattern))
        ])
        covered = _covered(hits)
        for hit in hits:
            if hit.entry.kind in NEGATABLE:
                hit.negated = all(negated(text, start, covered) for start, _ in hit.spans)
        return hits

    def _negated_han(self, han: str, pos: int, covered: set[int]) -> bool:
        """A negation in the three characters before, not itself part of a term (没人接, 起不来)."""
        # Words of doubt are taken out of a wider stretch first: 是不是要塌 is a doubt, not 不是.
        start = max(0, pos - 6)
        window = "".join(ch if i + start not in covered else " " for i, ch in enumerate(han[start:pos]))
        for doubt in _DOUBT:
            window = window.replace(doubt, " " * len(doubt))
        return any(neg in window[-3:] for neg in self._neg_han)

    def _negated_latin(self, latin: str, pos: int, covered: set[int]) -> bool:
        """A negation among the three words before, not itself part of a term (isnt picking up)."""
        words: list[str] = []
        for match in reversed(list(re.finditer(r"\S+", latin[:pos]))):
            if len(words) == 3:
                break
            words.append("" if match.start() in covered else match.group())
        return any(word in self._neg_latin for word in words)

    # -- judging -----------------------------------------------------------------------

    def _judge(self, ev: _Evidence) -> tuple[str, str, list[str]]:
        reasons: list[str] = []
        proposals: list[Proposal] = []
        for entry in ev.present("problem"):
            proposals.append(Proposal(entry.urgency, entry.category, entry.term))
        families = {h.entry.family for h in ev.hits if h.entry.family and not h.negated}
        for first in families:
            for second in families:
                combo = self._combos.get((first, second))
                if combo:
                    proposals.append(Proposal(combo.urgency, combo.category, f"{first}+{second}", combo=True))
        for entry in ev.negated():
            reasons.append(f"negated: {entry.term}")

        proposals = _after_the_danger(ev, proposals, reasons)
        if ev.has("chronic") and any(p.category != "medical" for p in proposals):
            # A healed or long-known condition (in a cast, 老毛病): the need it causes is the problem.
            proposals = [p for p in proposals if p.category != "medical" or p.urgency == "emergency"]
        if not proposals:
            return self._no_problem(ev, reasons)

        calm = ev.present("calm") if not ev.has("ongoing") else []
        if calm:
            # The sender says it can wait; a red flag is never theirs to lower.
            proposals = [p.at("routine") if p.urgency == "urgent" else p for p in proposals]
            reasons.append("not urgent: " + ", ".join(e.term for e in calm))
        else:
            if ev.has("soon"):
                proposals = [p.at("urgent") if p.urgency == "routine" else p for p in proposals]
                reasons.append("needed today: " + ", ".join(e.term for e in ev.present("soon")))
            vulnerable = ev.present("vulnerable")
            raised = [p.at("urgent") if p.urgency == "routine" and p.category in RAISED_BY_VULNERABILITY else p
                      for p in proposals]
            if vulnerable and raised != proposals:
                proposals = raised
                reasons.append("vulnerable: " + ", ".join(e.term for e in vulnerable))

        best = max(proposals, key=Proposal.weight)
        urgency, category = best.urgency, best.category
        reasons.insert(0, f"{urgency}/{category}: {best.why}")
        if ev.has("ask") and not ev.has("ongoing") and (
            (ev.has("future") and urgency in ("urgent", "routine")) or (ev.has("howto") and urgency == "routine")
        ):
            # A question about an announced outage or how a service works: nothing is broken yet.
            urgency = "info"
            reasons.insert(0, "info: a question about " + ("what is planned" if ev.has("future") else "how to"))
        if urgency == "info":
            category = self._info_category(ev, category)
        return urgency, category, reasons

    def _no_problem(self, ev: _Evidence, reasons: list[str]) -> tuple[str, str, list[str]]:
        category = self._info_category(ev, None)
        if ev.has("soon"):
            # Nothing broken, but a person is needed today (a paper due this afternoon).
            reasons.insert(0, "urgent: needed today: " + ", ".join(e.term for e in ev.present("soon")))
            return "urgent", category, reasons
        admin_topic = any(e.category == "admin" for e in ev.present("topic"))
        if ev.has("ask") or ev.has("chat") or ev.has("over") or ev.has("past") or admin_topic:
            # A question, thanks, news, or an office matter (certificates, activities, suggestions).
            reasons.insert(0, "info: no problem named")
            return "info", category, reasons
        danger = ev.present("danger")
        if danger:
            # Words we cannot read, with a word of danger in them: a person looks today.
            first = min(danger, key=lambda e: PRECEDENCE.index(e.category))
            reasons.insert(0, DANGER_FLOOR + ", ".join(e.term for e in danger))
            return "urgent", first.category, reasons
        # Words we do not understand still reach a person: a ticket, not silence.
        reasons.insert(0, NOTHING_RECOGNISED + ", a person will read it")
        return "routine", category, reasons

    def _info_category(self, ev: _Evidence, fallback: str | None) -> str:
        chat = ev.present("chat")
        if chat:
            categories = {e.category for e in chat if e.category}
            return "care" if "care" in categories else "admin"
        topics = [e.category for e in ev.present("topic")] + ([fallback] if fallback else [])
        if topics:
            return min(topics, key=PRECEDENCE.index)
        return "admin"


def _spans(text: str, needle: str, pattern: re.Pattern[str] | None) -> list[tuple[int, int]]:
    if pattern is not None:
        return [m.span() for m in pattern.finditer(text)]
    spans, start = [], text.find(needle)
    while start >= 0:
        spans.append((start, start + len(needle)))
        start = text.find(needle, start + 1)
    return spans


def _covered(hits: list[_Hit]) -> set[int]:
    """Positions inside a recognised term: a negation word there belongs to that term
    (没反应, isnt picking up, not urgent) and negates nothing else."""
    return {i for h in hits for s, e in h.spans for i in range(s, e)}


def _drop_shadowed(hits: list[_Hit]) -> list[_Hit]:
    """A term found only inside a longer term means the longer one (打不着火 is not 着火,
    blood pressure is not water pressure)."""
    problems = [h for h in hits if h.entry.kind in SHADOWING]
    # what a danger left behind ("still black", 还有烟味) is not the danger going on
    aftermath = [h for h in hits if h.entry.family == "aftermath"]
    kept = []
    for hit in hits:
        if hit.entry.kind in SHADOWED and _inside(hit, problems):
            continue
        if hit.entry.kind == "ongoing" and aftermath and _inside(hit, aftermath):
            continue
        if hit.entry.kind in SHADOWED:
            # the places inside a longer term are that term's: "no smoke" is negated even where
            # a "smoke detector" is named in the same message
            hit.spans = [span for span in hit.spans if not _inside(_Hit(hit.entry, False, [span]), problems)]
        kept.append(hit)
    return kept


def _inside(hit: _Hit, longer: list[_Hit]) -> bool:
    """Every place of `hit` lies inside a longer term among `longer`."""
    return all(
        any(o is not hit and o.entry.term != hit.entry.term and os <= s and e <= oe and (oe - os) > (e - s)
            for o in longer for os, oe in o.spans)
        for s, e in hit.spans
    )


def _after_the_danger(ev: _Evidence, proposals: list[Proposal], reasons: list[str]) -> list[Proposal]:
    """What is left once the sender says a danger is over (灭了, fixed, 没摔伤, no need).

    An "over" term with a category ends only that category's problems (没摔伤: the injury,
    not the broken light); without one it ends them all. A red flag that is over and in the
    past leaves what is left to do (soot to clean) or nothing (news: info); one without a past
    time stays urgent. Anything still happening (还在, still) means nothing is over.
    """
    over = ev.present("over") if not ev.has("ongoing") else []
    if not over:
        return proposals
    reasons.append("danger over: " + ", ".join(e.term for e in over))
    scopes = {e.category for e in over}

    def ended(p: Proposal) -> bool:
        # a gas danger is over only when the words say the gas is ("no smell now, but it was strong
        # an hour ago" stays an emergency: GUIDE.md rule 2)
        if p.category == "gas" and p.urgency == "emergency":
            return "gas" in scopes
        return "" in scopes or p.category in scopes

    if any(e.family == "ahead" for e in over) and ev.has("ask") and ev.has("what_if"):
        # a question asked ahead of time ("what do I do if I smell gas? asking in advance"):
        # nothing is happening, whatever it names
        scopes |= {"", "gas"}
        past = True
    else:
        past = ev.has("past")
    flags = [p for p in proposals if p.urgency == "emergency" and ended(p)]
    lesser = [p for p in proposals if p.urgency != "emergency" and ended(p)]
    untouched = [p for p in proposals if not ended(p)]
    if flags and past:
        left = untouched
        return left or [Proposal("info", max(flags, key=Proposal.weight).category, "past event")]
    if flags:
        return untouched + lesser + [p.at("urgent") for p in flags]
    if lesser and not untouched:
        return [Proposal("info", max(lesser, key=Proposal.weight).category, "over")]
    return untouched


@lru_cache(maxsize=1)
def default_engine() -> Engine:
    """The shipped lexicon with the shipped model's second opinion."""
    return Engine(load_lexicon(), default_model())


def classify(text: str) -> Triage:
    """Classify one message with the lexicon shipped in the repository."""
    return default_engine().classify(text)


__all__ = ["CATEGORIES", "URGENCIES", "Engine", "Triage", "classify", "default_engine"]
