"""Triage: a resident's words to an urgency and a category. Pure: no Telegram, no database."""

from bot.core.triage.engine import (
    CATEGORIES, DANGER_FLOOR, RANK, URGENCIES, Engine, Triage, classify, default_engine, detect_language
)
from bot.core.triage.lexicon import Entry, Lexicon, load_lexicon

__all__ = [
    "CATEGORIES", "DANGER_FLOOR", "RANK", "URGENCIES", "Engine", "Entry", "Lexicon", "Triage", "classify", "default_engine",
    "detect_language", "load_lexicon",
]
