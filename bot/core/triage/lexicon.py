"""The lexicon: terms and rules as data a committee can extend (lexicon.tsv, combos.tsv).

lexicon.tsv columns: lang, term, kind, urgency, category, family.
- lang: zh or en. A zh term matches inside the text with spaces and punctuation removed
  (traditional characters are folded to simplified first). An en term matches whole words;
  a trailing * lets the last word go on (smok* = smoke, smoking, smoky). A ~ inside a term
  allows a short gap (zh: up to 8 characters, en: up to 4 words).
- kind: problem (has an urgency and a category), topic (names a category only), cue (only a family),
  vulnerable, calm ("not urgent"), over (the danger has passed; with a category, only that
  category's problems: 没摔伤 ends the injury, not the broken light), ongoing (still happening),
  past (a time in the past), future (an announced or planned time: 明天, 通知说), ask (a question),
  howto (a question about a procedure: 在哪办, how do I), soon (the sender needs it today),
  chronic (a known or healing condition: 打着石膏, 老毛病), chat (thanks, greetings, "I'm fine"),
  danger (a word of danger, 晕, 血, smoke: a message we cannot read that carries one is urgent), neg.
- family: a name for combos.tsv rules: two families seen together give an urgency and category.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bot.core.triage.normalize import normalize

KINDS = {
    "problem", "topic", "cue", "vulnerable", "calm", "over", "ongoing", "past", "ask", "chat", "neg",
    "future", "howto", "soon", "chronic", "danger",
}
URGENCIES = ("emergency", "urgent", "routine", "info")
RANK = {"info": 0, "routine": 1, "urgent": 2, "emergency": 3}  # how much worse one urgency is than another
CATEGORIES = (
    "medical", "fire", "gas", "power", "water", "heating", "lift", "security",
    "sanitation", "infrastructure", "dispute", "care", "admin",
)


@dataclass(frozen=True)
class Entry:
    lang: str
    term: str
    kind: str
    urgency: str = ""
    category: str = ""
    family: str = ""

    def validate(self) -> None:
        if self.lang not in ("zh", "en"):
            raise ValueError(f"{self.term!r}: lang must be zh or en")
        if self.kind not in KINDS:
            raise ValueError(f"{self.term!r}: unknown kind {self.kind!r}")
        if self.kind == "problem" and self.urgency not in URGENCIES:
            raise ValueError(f"{self.term!r}: a problem needs an urgency")
        if (self.kind in ("problem", "topic") or self.category) and self.category not in CATEGORIES:
            raise ValueError(f"{self.term!r}: unknown category {self.category!r}")


@dataclass(frozen=True)
class Combo:
    first: str
    second: str
    urgency: str
    category: str


@dataclass(frozen=True)
class Matcher:
    """How one entry is found in normalised text."""

    entry: Entry
    needle: str                         # for plain substring search
    pattern: re.Pattern[str] | None     # for terms with a gap


class Lexicon:
    def __init__(self, entries: list[Entry], combos: list[Combo]) -> None:
        for entry in entries:
            entry.validate()
        self.entries = entries
        self.combos = combos
        self.han: list[Matcher] = []
        self.latin: list[Matcher] = []
        for entry in entries:
            if entry.lang == "zh":
                self.han.append(_han_matcher(entry))
            else:
                self.latin.append(_latin_matcher(entry))

    def with_entries(self, extra: list[Entry]) -> "Lexicon":
        return Lexicon(self.entries + extra, self.combos)


def _han_matcher(entry: Entry) -> Matcher:
    han, _ = normalize(entry.term.replace("~", "\u0000"))
    parts = [normalize(part)[0] for part in entry.term.split("~")]
    if len(parts) == 1:
        return Matcher(entry, han, None)
    return Matcher(entry, "", re.compile(".{0,8}?".join(re.escape(p) for p in parts)))


def _latin_matcher(entry: Entry) -> Matcher:
    words = entry.term.strip()
    open_end = words.endswith("*")
    parts = [normalize(part.rstrip("*"))[1].strip() for part in words.split("~")]
    if len(parts) == 1:
        return Matcher(entry, " " + parts[0] + ("" if open_end else " "), None)
    gap = r"(?: \S+){0,4}"
    body = gap.join(" " + re.escape(p) for p in parts)
    return Matcher(entry, "", re.compile(body + ("" if open_end else " ")))


def _read_tsv(text: str) -> list[list[str]]:
    rows = []
    for row in csv.reader(text.splitlines(), delimiter="\t"):
        if not row or not row[0].strip() or row[0].startswith("#"):
            continue
        rows.append([cell.strip() for cell in row])
    return rows


def parse_entries(text: str) -> list[Entry]:
    entries = []
    for row in _read_tsv(text):
        row += [""] * (6 - len(row))
        lang, term, kind, urgency, category, family = row[:6]
        entries.append(Entry(lang, term, kind, urgency if urgency != "-" else "", category if category != "-" else "",
                             family if family != "-" else ""))
    return entries


def parse_combos(text: str) -> list[Combo]:
    return [Combo(*row[:4]) for row in _read_tsv(text)]


def load_lexicon(folder: Path | None = None) -> Lexicon:
    if folder is None:
        base = resources.files("bot.core.triage")
        lexicon_text = (base / "lexicon.tsv").read_text(encoding="utf-8")
        combos_text = (base / "combos.tsv").read_text(encoding="utf-8")
    else:
        lexicon_text = (folder / "lexicon.tsv").read_text(encoding="utf-8")
        combos_text = (folder / "combos.tsv").read_text(encoding="utf-8")
    return Lexicon(parse_entries(lexicon_text), parse_combos(combos_text))
