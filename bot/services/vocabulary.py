"""The committee's vocabulary: the shipped lexicon plus the words admins add from the chat.

`/keyword add 化粪池 routine sanitation` stores a term in the database and every process
classifies with it from its next message on: a counter in the settings table says when
the committee's words changed, and the engine is rebuilt only then (a few milliseconds; see bench).
A committee word adds a reading; it cannot hide a red flag (see `check_term`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TextIO

from bot.clock import Clock
from bot.core import CATEGORIES, RANK, URGENCIES, Engine, Entry, Triage, default_engine, detect_language
from bot.delivery import Outbox, Renderer
from bot.services.people import Person
from storage import Database, Tx, triage as repo

MAX_TERM = 30
PER_PAGE = 50  # keywords on a page of /keyword list
_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[a-z]")


@dataclass(frozen=True)
class Label:
    urgency: str | None = None
    category: str | None = None


def parse_label(words: list[str], renderer: Renderer) -> Label | None:
    """An urgency and/or a category, by name (urgent, water) or by its label in either
    language (尽快处理, 用水); None if a word is neither."""
    urgencies = {u: u for u in URGENCIES}
    categories = {c: c for c in CATEGORIES}
    for lang in ("zh", "en"):
        names = renderer.words(lang)
        urgencies.update({label.lower(): key for key, label in names.U.items()})
        categories.update({label.lower(): key for key, label in names.C.items()})
    urgency = category = None
    for word in words:
        word = word.lower()
        if word in urgencies and urgency is None:
            urgency = urgencies[word]
        elif word in categories and category is None:
            category = categories[word]
        else:
            return None
    return Label(urgency, category)


def term_language(term: str) -> str | None:
    """zh for a term with Chinese characters, en for Latin letters; None if too short to be safe
    (a single Chinese character or two letters would match far too much)."""
    if _HAN.search(term):
        return "zh" if len(_HAN.findall(term)) >= 2 else None
    return "en" if len(_LATIN.findall(term)) >= 3 else None


def clean_term(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


class Vocabulary:
    def __init__(self, db: Database, outbox: Outbox, renderer: Renderer, clock: Clock) -> None:
        self.db = db
        self.outbox = outbox
        self.renderer = renderer
        self.clock = clock
        self.shipped = default_engine()
        self._use(self.shipped)
        self._version = 0

    def _use(self, engine: Engine) -> None:
        self.engine = engine
        # A message is read by the conversation and again by the service it lands in (a ticket, an
        # update, a check-in answer): the same words get one reading per vocabulary.
        self.classify: Callable[[str], Triage] = lru_cache(maxsize=256)(engine.classify)

    async def refresh(self, tx: Tx) -> None:
        """Rebuild the engine if the committee's words changed (here or in another process)."""
        version = await repo.keywords_version(tx)
        if version == self._version:
            return
        rows = await repo.keywords(tx)
        entries = [Entry(r["lang"], r["term"], "problem", r["urgency"], r["category"]) for r in rows]
        self._use(Engine(self.shipped.lexicon.with_entries(entries), self.shipped.model) if entries else self.shipped)
        self._version = version

    def check_term(self, term: str, urgency: str) -> Triage | None:
        """The shipped verdict on the term itself if it is a red flag the new word would lower:
        such a word could hide an emergency inside a longer phrase, so it is refused."""
        verdict = self.shipped.classify(term)
        if verdict.urgency == "emergency" and RANK[urgency] < RANK["emergency"]:
            return verdict
        return None


    async def add(self, person: Person, chat_id: int, term_text: str, label_words: list[str]) -> None:
        term = clean_term(term_text)
        label = parse_label(label_words, self.renderer)
        lang = term_language(term)
        async with self.db.transaction() as tx:
            if label is None or label.urgency is None or label.category is None or not term:
                await self.outbox.say(tx, chat_id, person.lang, "usage_keyword")
            elif lang is None or len(term) > MAX_TERM or "\t" in term:
                await self.outbox.say(tx, chat_id, person.lang, "keyword_bad_term", term=term, limit=MAX_TERM)
            elif (red_flag := self.check_term(term, label.urgency)) is not None:
                await self.outbox.say(tx, chat_id, person.lang, "keyword_hides_red_flag", term=term, verdict=red_flag)
            else:
                new = await repo.add_keyword(tx, lang, term, label.urgency, label.category, person.telegram_id,
                                             self.clock.now())
                await self.refresh(tx)
                await self.outbox.say(tx, chat_id, person.lang, "keyword_added", term=term, new=new, label=label,
                                verdict=self.classify(term))
        self.outbox.kick()

    async def remove(self, person: Person, chat_id: int, term_text: str) -> None:
        term = clean_term(term_text)
        async with self.db.transaction() as tx:
            removed = await repo.remove_keyword(tx, term_language(term) or detect_language(term), term)
            await self.refresh(tx)
            await self.outbox.say(tx, chat_id, person.lang, "keyword_removed" if removed else "keyword_unknown", term=term)
        self.outbox.kick()

    async def show(self, person: Person, chat_id: int, page: int = 0, message_id: int | None = None) -> None:
        """/keyword list, a page at a time."""
        async with self.db.transaction() as tx:
            await self.outbox.paged(tx, chat_id, person.lang, "keyword_list", await repo.keywords(tx), listing="keywords",
                                    name="keywords", page=page, message_id=message_id, most=PER_PAGE,
                                    shipped=len(self.shipped.lexicon.entries))
        self.outbox.kick()


async def export_corrections(db: Database, out: TextIO) -> int:
    """Every corrected ticket as one labelled line in the data set's format
    ({"text", "lang", "urgency", "category"}); a ticket corrected twice counts with its last label."""
    async with db.transaction() as tx:
        rows = await repo.corrections(tx)
    latest = {row["ticket_id"]: row for row in rows}
    for row in latest.values():
        line = {"text": row["text"], "lang": row["lang"], "urgency": row["urgency"], "category": row["category"]}
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return len(latest)
