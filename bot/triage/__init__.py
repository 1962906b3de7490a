"""Triage: a resident's words to an urgency and a category. Pure: no Telegram, no database."""

from bot.triage.engine import CATEGORIES, URGENCIES, Engine, Triage, classify, default_engine
from bot.triage.lexicon import Entry, Lexicon, load_lexicon

__all__ = [
    "CATEGORIES", "URGENCIES", "Engine", "Entry", "Lexicon", "Triage", "classify", "default_engine", "load_lexicon",
]
