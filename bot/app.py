"""Wiring: settings, database, services and handlers into one python-telegram-bot Application."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import BotCommand
from telegram.ext import Application, ApplicationBuilder

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.core import FloodControl
from bot.delivery import Outbox, Renderer
from bot.services import Conversation, Desk, Registration, Teams, Vocabulary
from handlers import register_all
from storage import Database

log = logging.getLogger(__name__)

COMMANDS = {
    "zh": [("start", "登记 / 开始"), ("status", "我的求助进度"), ("profile", "我的资料"), ("language", "切换语言"),
           ("help", "帮助")],
    "en": [("start", "Register / start"), ("status", "My requests"), ("profile", "My profile"),
           ("language", "Change language"), ("help", "Help")],
}


TICK_SECONDS = 60.0


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    renderer: Renderer
    outbox: Outbox
    desk: Desk
    registration: Registration
    teams: Teams
    vocabulary: Vocabulary
    conversation: Conversation

    async def open(self, application: Application) -> None:
        await self.db.open()
        self.outbox.on_undeliverable = self.desk.undeliverable
        self.outbox.start(application.bot)
        if application.job_queue is not None:
            # Timers are rows in the database; this tick only asks what is due now.
            application.job_queue.run_repeating(self._tick_job, interval=TICK_SECONDS, first=TICK_SECONDS,
                                                name="tick")

    async def tick(self) -> None:
        """Everything that is due by the clock: unconfirmed resolved tickets closing, and
        sentences typed in pieces that nobody finished."""
        await self.desk.close_unconfirmed()
        await self.desk.flush_fragments()

    async def _tick_job(self, context: object) -> None:
        await self.tick()

    async def close(self, application: Application | None = None) -> None:
        await self.outbox.stop()
        await self.db.close()


def file_url(base_url: str) -> str:
    """The file endpoint beside a Bot API base URL (…/bot -> …/file/bot)."""
    return base_url[: -len("bot")] + "file/bot" if base_url.endswith("/bot") else base_url


def build_services(settings: Settings, clock: Clock | None = None, flood: FloodControl | None = None,
                   poll_interval: float = 0.5) -> Services:
    clock = clock or SystemClock()
    db = Database(settings.frontdesk_db)
    renderer = Renderer(settings.default_language)
    outbox = Outbox(db, renderer, clock, flood, poll_interval=poll_interval)
    vocabulary = Vocabulary(db, outbox, renderer, clock)
    desk = Desk(db, outbox, settings, clock, vocabulary)
    registration = Registration(db, outbox, renderer, settings, clock)
    registration.on_registered = desk.adopt
    teams = Teams(db, outbox, clock)
    teams.on_building_moved = desk.follow_building
    return Services(
        settings=settings, clock=clock, db=db, renderer=renderer, outbox=outbox, vocabulary=vocabulary,
        desk=desk, registration=registration, teams=teams,
        conversation=Conversation(desk, registration),
    )


def build_application(services: Services) -> Application:
    settings = services.settings
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(file_url(settings.telegram_api_base_url))
        .post_init(services.open)
        .post_shutdown(services.close)
        .build()
    )
    application.bot_data["services"] = services
    register_all(application)
    return application


async def publish_commands(application: Application) -> None:
    """The command menu each language sees in Telegram."""
    for lang, commands in COMMANDS.items():
        await application.bot.set_my_commands([BotCommand(c, d) for c, d in commands], language_code=lang)


async def start(application: Application, poll_timeout: float = 10.0) -> None:
    """Start without run_polling (tests and the demo drive the loop themselves)."""
    await application.initialize()
    await application.bot_data["services"].open(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=poll_timeout)


async def stop(application: Application) -> None:
    assert application.updater is not None
    if application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.bot_data["services"].close()
    await application.shutdown()
