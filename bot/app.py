"""Wiring: settings, database, services and handlers into one python-telegram-bot Application.

The services own their start-up (`Services.open`, the Application's post_init): the database
and its migrations, the delivery engine, the scheduler tick and the command menu. Handlers
reach them through the typed context (`handlers.common.Context`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import datetime, timedelta, timezone
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import BotCommand
from telegram.error import InvalidToken
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.clock import Clock, SystemClock
from bot.config import LANGUAGES, Settings
from bot.core import FloodControl
from bot.delivery import Outbox, Renderer
from bot.delivery.leader import Leadership
from bot.instance import DatabaseLock, TokenGuard
from bot.redact import hide
from bot.updates import ALLOWED_UPDATES, UpdateSource
from bot.webhook import refuse_beside_webhook
from bot.services import (
    AdminNotices, Alerts, Broadcasts, CheckinDesk, Checkins, Closing, Conversation, Corrections, Escalation, Followup, Health, Identity, Inbox,
    Duplicates, Intake, Kit, Registration, Rosters, Teams,
    Threads, Throttle, Views, Vocabulary, Volunteering, convert_phones
)
from bot.services import Stats
from bot.services.relays import Relays
from bot.services.sheets import Sheets
from bot.services.ticket_desk import TicketDesk
from bot.services.wishes import Wishes
from handlers import register_all
from handlers.common import Context
from storage import Database

if TYPE_CHECKING:
    from bot.webhook_server import WebhookServer

log = logging.getLogger(__name__)

TICK_SECONDS = 60.0  # how often the scheduler asks the services what is due by the clock
TOKEN_REJECTED = "Telegram rejected the bot token: check TELEGRAM_BOT_TOKEN against what @BotFather gave you"


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    renderer: Renderer
    outbox: Outbox
    vocabulary: Vocabulary
    inbox: Inbox
    alerts: Alerts
    escalation: Escalation
    intake: Intake
    threads: Threads
    volunteering: Volunteering
    closing: Closing
    followup: Followup
    views: Views
    corrections: Corrections
    registration: Registration
    teams: Teams
    conversation: Conversation
    checkins: Checkins
    checkin_desk: CheckinDesk
    identity: Identity
    lock: DatabaseLock           # one bot per database (bot/instance.py)
    guard: TokenGuard            # ... and per token: 409 Conflict from getUpdates
    throttle: Throttle
    rosters: Rosters
    ticket_desk: TicketDesk      # /cancel, /reply, /close (issue #12)
    relays: Relays               # 💬 Message between a ticket's claimant and its resident
    wishes: Wishes               # micro-wishes (微心愿): /wish, /wishes, Adopt
    sheets: Sheets               # /export and /import (spreadsheets)
    stats: Stats                 # /stats and the weekly report
    duplicates: Duplicates       # duplicates linked to an open request, /split (bot/services/duplicates.py)
    source: UpdateSource         # getUpdates: stored before confirmed, handled from the inbox (bot/updates.py)
    broadcasts: Broadcasts       # /broadcast: a runner per announcement being sent, resumed from the database
    health: Health               # /healthz, /health, and the auditor of overdue timers (the tick's last step)

    async def open(self, application: Application) -> None:
        """Start-up: the database's lock (a second copy stops here, with AlreadyRunning), the
        database, delivery, the scheduler tick and the command menu."""
        self.lock.acquire()
        await self.db.open()
        # migration 007's data step: stored phone numbers to E.164 (once); the admins hear what it found
        await convert_phones(self.db, self.settings.phone_region, self.clock.now())
        await self.identity.tick()
        self.outbox.start(application.bot)
        await self.broadcasts.resume()   # announcements a restart interrupted go on from where they were
        if application.job_queue is not None:
            # Timers are rows in the database; this tick only asks what is due now.
            application.job_queue.run_repeating(self._tick_job, interval=TICK_SECONDS, first=TICK_SECONDS,
                                                name="tick")
            # a step due sooner than the next tick: one precise job that asks the chain again
            self.escalation.schedule = lambda delay: self._precise_job(application, delay)
        try:
            for lang in LANGUAGES:
                menu = [BotCommand(command, text) for command, text in self.renderer.commands(lang)]
                await application.bot.set_my_commands(menu, language_code=lang)
        except Exception:  # the menu is a nicety; the bot works without it
            log.warning("could not publish the command menu", exc_info=True)

    async def tick(self) -> None:
        """Everything that is due by the clock: escalation steps of unclaimed tickets, unconfirmed resolved tickets closing, sentences
        typed in pieces that nobody finished, "is someone in danger?" left unanswered, and the
        day's check-ins and their ladder, claimed tickets whose claimant went quiet (a reminder, then
        back to the pool), the families' "all well today", link requests for the
        committee that no conversation sent, the raw texts past their retention, and the weekly report."""
        for step in (self.escalation.tick, self.closing.close_unconfirmed, self.followup.tick, self.intake.flush_fragments,
                     self.corrections.danger_unanswered, self.checkins.tick, self.checkin_desk.tick,
                     self.identity.tick, self.inbox.prune, self.rosters.tick, self.broadcasts.resume,
                     self.stats.tick, self.duplicates.sweep,
                     self.health.audit):  # last: whatever is still due now was not fired by the steps above
            try:
                await step()
            except Exception:  # one broken step must not stop the others (check-ins, alarms)
                log.exception("scheduler tick: %s failed", step.__qualname__)

    async def _tick_job(self, context: object) -> None:
        await self.tick()

    def _precise_job(self, application: Application, delay: float) -> None:
        """A one-off escalation job `delay` seconds from now, unless one already runs by then."""
        job_queue = application.job_queue
        assert job_queue is not None
        when = datetime.now(timezone.utc) + timedelta(seconds=delay)
        if any(job.next_t is not None and job.next_t <= when for job in job_queue.get_jobs_by_name("escalation")):
            return
        job_queue.run_once(self._escalation_job, when=delay, name="escalation")

    async def _escalation_job(self, context: object) -> None:
        try:
            await self.escalation.tick()
        except Exception:  # the next tick tries again: the deadline is in the database
            log.exception("escalation job failed")

    async def close(self, application: Application | None = None) -> None:
        try:
            await self.broadcasts.stop()
            with contextlib.suppress(Exception):  # a chart being drawn is queued before the database closes
                await asyncio.wait_for(self.stats.charts_drawn(), 10.0)
            with contextlib.suppress(Exception):  # so is an export being written (a year of tickets: ~15 s)
                await asyncio.wait_for(self.sheets.exports_written(), 30.0)
            await self.outbox.stop()
            await self.db.close()
        finally:
            self.lock.release()


def file_url(base_url: str) -> str:
    """The file endpoint beside a Bot API base URL (…/bot -> …/file/bot)."""
    return base_url[: -len("bot")] + "file/bot" if base_url.endswith("/bot") else base_url


def build_services(settings: Settings, clock: Clock | None = None, flood: FloodControl | None = None,
                   poll_interval: float = 0.5) -> Services:
    clock = clock or SystemClock()
    db = Database(settings.frontdesk_db)
    renderer = Renderer(settings.default_language)
    leader = Leadership(db, clock, retry=settings.sender_leader_retry_seconds)
    outbox = Outbox(db, renderer, clock, flood, poll_interval=poll_interval, leader=leader)
    vocabulary = Vocabulary(db, outbox, renderer, clock)
    kit = Kit(db, outbox, settings, clock, vocabulary)
    alerts = Alerts(kit)
    escalation = Escalation(kit, alerts)  # Alerts.alert starts the chain
    inbox, intake, throttle = Inbox(kit), Intake(kit, alerts), Throttle(kit, alerts)
    threads, volunteering, closing = Threads(kit, alerts, intake, throttle), Volunteering(kit, alerts), Closing(kit, alerts)
    identity = Identity(kit)
    registration = Registration(db, outbox, renderer, settings, clock, identity)
    teams = Teams(db, outbox, clock)
    checkins = Checkins(kit, alerts, intake)
    duplicates = Duplicates(kit, alerts, intake)  # Intake links duplicates; Alerts tells their reporters
    notices = AdminNotices(kit)
    # what one service tells the others, without knowing them
    outbox.on_undeliverable = undeliverable_hooks(alerts.undeliverable, checkins.undeliverable,
                                                 volunteering.undeliverable)
    outbox.on_delivered = alerts.delivered
    outbox.still_needed = alerts.still_needed
    outbox.on_chat_migrated = teams.chat_migrated
    broadcasts = Broadcasts(kit)   # run by the worker that sends only (one progress, one runner)
    leader.while_leading = broadcasts.resume
    registration.on_registered = intake.adopt
    teams.on_building_moved = intake.follow_building
    return Services(
        settings=settings, clock=clock, db=db, renderer=renderer, outbox=outbox, vocabulary=vocabulary,
        inbox=inbox, alerts=alerts, escalation=escalation, intake=intake, threads=threads, volunteering=volunteering,
        closing=closing, followup=Followup(kit, alerts),
        views=Views(kit), corrections=Corrections(kit, alerts), registration=registration, teams=teams,
        conversation=Conversation(inbox, intake, threads, closing, volunteering, registration, checkins, throttle),
        checkins=checkins, checkin_desk=CheckinDesk(checkins), identity=identity, throttle=throttle,
        rosters=Rosters(alerts), ticket_desk=TicketDesk(kit, alerts), relays=Relays(kit, intake),
        wishes=Wishes(kit, intake), sheets=Sheets(kit), source=UpdateSource(inbox, db),
        broadcasts=broadcasts, stats=Stats(kit, alerts), duplicates=duplicates, health=Health(kit, alerts),
        lock=DatabaseLock(settings.frontdesk_db),
        guard=TokenGuard(clock, settings.conflict_grace_minutes * 60, notices.tell, notices.delivered),
    )


def undeliverable_hooks(*hooks: Callable[[dict[str, Any], str], Awaitable[None]]
                        ) -> Callable[[dict[str, Any], str], Awaitable[None]]:
    """Several services hear that a message could not be delivered, each in turn."""
    async def hook(row: dict[str, Any], status: str) -> None:
        for each in hooks:
            await each(row, status)
    return hook


def build_application(services: Services) -> Application:
    settings = services.settings
    token = settings.telegram_bot_token.get_secret_value()
    hide(token)  # from every log record from now on: it is in every request's URL
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(file_url(settings.telegram_api_base_url))
        .context_types(ContextTypes(context=Context))
        .post_init(services.open)
        .post_shutdown(services.close)
        .updater(None)  # ours instead (bot/updates.py): PTB's confirms updates before they are stored
        .build()
    )
    application.bot_data["services"] = services
    register_all(application)
    return application


async def start(application: Application, poll_timeout: float = 10.0, webhook: bool = False) -> None:
    """Start: the services, the Application (its job queue) and our update source. `frontdesk run`
    (`serve`), the demo and the tests all start here. With `webhook`, updates come through the
    webhook app (bot/webhook_server.py) instead of getUpdates; without it, a webhook set at
    Telegram stops the start with WebhookActive (long polling never runs beside one)."""
    services: Services = application.bot_data["services"]
    services.guard.stop = lambda: _halt(application)
    try:
        await application.initialize()
    except InvalidToken:
        raise InvalidToken(TOKEN_REJECTED) from None  # python-telegram-bot's own message quotes the token
    if not webhook:
        try:
            await refuse_beside_webhook(application.bot)
        except BaseException:
            await application.shutdown()
            raise
    assert application.post_init is not None
    try:
        await application.post_init(application)
    except BaseException:
        await services.close()
        await application.shutdown()
        raise
    await application.start()
    # polling errors go to the error handlers, as run_polling sends them (a 409: services.guard)
    await services.source.start(
        application, poll_timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES, poll=not webhook,
        error_callback=lambda error: application.create_task(application.process_error(update=None, error=error)))


async def _halt(application: Application) -> None:
    """The token guard gave up: stop polling and handling (the owner of the loop still calls
    stop() to close the rest)."""
    services: Services = application.bot_data["services"]
    await services.source.stop()
    if application.running:
        await application.stop()


async def stop(application: Application) -> None:
    services: Services = application.bot_data["services"]
    await services.source.stop()
    if application.running:
        await application.stop()
    await services.close()
    await application.shutdown()


async def serve(application: Application, poll_timeout: float = 10.0, webhook: "WebhookServer | None" = None) -> None:
    """`frontdesk run`: start, run until SIGTERM/SIGINT (or the token guard gives up), stop cleanly.
    With `webhook` (`frontdesk run --webhook`), its web server takes the updates instead of
    getUpdates; at a stop it closes first (requests in flight finish), then the bot."""
    services: Services = application.bot_data["services"]
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C still raises KeyboardInterrupt
            loop.add_signal_handler(signum, stopping.set)
    await start(application, poll_timeout, webhook=webhook is not None)
    services.guard.stop = stopping.set   # it gave up: the same clean stop as a SIGTERM
    try:
        if webhook is not None:
            await webhook.start()
        await stopping.wait()
    finally:
        try:
            if webhook is not None:
                await webhook.stop()
        finally:
            await stop(application)

