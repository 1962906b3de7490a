"""What every service is built with: the database, the outbox, the settings, the clock and the
committee's triage words. One object, so adding a service is one line in bot/app.py."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Settings
from bot.delivery import Outbox
from bot.services.vocabulary import Vocabulary
from storage import Database


@dataclass(frozen=True)
class Kit:
    db: Database
    outbox: Outbox
    settings: Settings
    clock: Clock
    vocabulary: Vocabulary
