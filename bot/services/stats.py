"""/stats and the weekly report: how the community is doing, in figures and one chart.

An admin sees the whole community, a grid leader the grids of the teams they lead, nobody else
anything. The figures are SQL aggregates (storage/stats.py) summed up by bot/core/stats.py; the
chart is drawn off the event loop (`asyncio.to_thread`) by bot/delivery/charts.py. Comments are
shown with names, phone numbers and flats masked, so the summary may be read in a group.

The weekly report is a row of `report_schedule` (when it is next due), advanced by the scheduler
tick with a compare-and-set in the same transaction that queues the report: sent once a week,
also across a restart."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import periods
from bot.core.stats import (
    Group, Summary, Timing, day_series, next_weekly, parse_weekly, read_words, scrub, summarize
)
from bot.delivery import Lane, charts
from bot.services.alerts import Alerts
from bot.services.base import Service, grid_scope
from bot.services.kit import Kit
from bot.services.people import Person
from storage import Tx, stats as repo, wishes as wishes_repo

log = logging.getLogger(__name__)

WEEKLY = "weekly"
COMMENTS = 3          # latest comments in a summary
TOP = 5               # volunteers in the weekly report
LOWEST = 3            # lowest-rated tickets in the weekly report
# the periods /stats takes: everything periods.parse reads but "all" (a chart of every day since 1970)
PERIOD_WORDS = ("7d", "30d", "month", "YYYY-MM")


class Stats(Service):
    def __init__(self, kit: Kit, alerts: Alerts) -> None:
        super().__init__(kit)
        self.alerts = alerts
        self.tz = self.settings.timezone
        self._drawing: set[asyncio.Task[None]] = set()   # charts being drawn (kept from the collector)

    # -- /stats ------------------------------------------------------------------------------

    async def stats(self, person: Person, chat_id: int, words: list[str]) -> None:
        """/stats [PERIOD] [GRID]: the summary now, the chart when it is drawn. Asked in a group
        other than the admin group (residents may read it), both go to the asker privately."""
        answered: list[Summary | None] = []
        async with self.db.transaction() as tx:
            async def answer(chat: int) -> int | None:
                summary, row = await self._answer(tx, person, chat, words)
                answered.append(summary)
                return row

            # a refusal has nothing private in it: said where it was asked, not "🔒 sent to you privately"
            if (chat_id == person.telegram_id or await self.alerts.is_admin_chat(tx, chat_id)
                    or await grid_scope(tx, person) is False):
                await answer(chat_id)
            else:
                await self.outbox.privately(tx, chat_id, person.telegram_id, person.lang, answer, person.first_name)
                chat_id = person.telegram_id
        self.outbox.kick()
        summary = answered[0] if answered else None
        if summary is not None and not summary.empty:
            to = chat_id
            # after the commit, in a task of its own: the next update is not held up by the drawing
            await self.db.after_commit(lambda: self._spawn(to, summary, person.lang))

    async def _answer(self, tx: Tx, person: Person, chat_id: int, words: list[str]) -> tuple[Summary | None, int | None]:
        """The figures /stats asked for, queued as the answer in `chat_id`; or the refusal (no
        summary). With the answer's outbox row."""
        now = self.clock.now()
        scope = await grid_scope(tx, person)
        if scope is False:
            return None, await self.outbox.say(tx, chat_id, person.lang, "stats_refused")
        every = await repo.known_grids(tx)
        known = every if scope is None else scope
        # a grid of another team is read as a grid (and refused below), not as a word unknown
        asked = read_words(words, lambda w: self._period(w, now) is not None, every)
        if asked.bad is not None:
            return None, await self.outbox.say(tx, chat_id, person.lang, "stats_bad_word", word=asked.bad, grids=known)
        if asked.grid is not None and scope is not None and asked.grid not in scope:
            return None, await self.outbox.say(tx, chat_id, person.lang, "stats_not_your_grid", grid=asked.grid,
                                               grids=scope)
        period = self._period(asked.period, now)
        assert period is not None  # read_words lets only a period word through
        summary = await self.summary(tx, period, [asked.grid] if asked.grid is not None else scope)
        return summary, await self.outbox.say(tx, chat_id, person.lang, "stats", s=summary, **self._dates(period))

    def _period(self, word: str | None, now: float) -> periods.Period | None:
        period = periods.parse(word, now, self.tz)
        return None if period is not None and period.key == "all" else period   # "all" or 全部: no chart since 1970

    async def _spawn(self, chat_id: int, summary: Summary, lang: str) -> None:
        task = asyncio.create_task(self._send_chart(chat_id, summary, lang))
        self._drawing.add(task)
        task.add_done_callback(self._drawing.discard)

    async def _send_chart(self, chat_id: int, summary: Summary, lang: str) -> None:
        try:
            png = await self.draw(summary, lang)
            async with self.db.transaction() as tx:
                await self.upload(tx, chat_id, lang, summary, png, Lane.REPLY, "reply")
            self.outbox.kick()
        except Exception:  # the figures were sent; a chart that cannot be drawn is logged, not retried
            log.exception("the /stats chart for chat %s could not be drawn", chat_id)

    async def charts_drawn(self) -> None:
        """Every chart being drawn is queued (tests, and a clean stop)."""
        while self._drawing:
            await asyncio.gather(*self._drawing, return_exceptions=True)

    # -- the summary, the chart ----------------------------------------------------------------

    async def summary(self, tx: Tx, period: periods.Period, grids: list[str] | None) -> Summary:
        """The period's figures for these grids (None: all). A new count for /stats is filled here
        and shown by templates/*/_stats.j2, as the micro-wishes' is."""
        start, end = period.start, period.end
        groups = [Group(**row) for row in await repo.groups(tx, start, end, grids)]
        timings = [Timing(*row) for row in await repo.timings(tx, start, end, grids)]
        comments = [{"id": row["id"], "rating": row["rating"],
                     "text": scrub(row["comment"], (row["reporter_name"], row["resident_name"], row["volunteer_name"]))}
                    for row in await repo.latest_comments(tx, start, end, grids, COMMENTS)]
        summary = summarize(period, grids, groups, timings,
                            day_series(period, self.tz, await repo.hours(tx, start, end, grids)),
                            await repo.checkins(tx, start, end, grids), comments)
        summary.wishes = await wishes_repo.counts(tx, start, end, grids)
        return summary

    async def draw(self, summary: Summary, lang: str | None) -> bytes:
        labels = self._labels(summary, lang)
        return await asyncio.to_thread(charts.draw, summary, labels)

    def _labels(self, summary: Summary, lang: str | None) -> dict[str, Any]:
        renderer = self.outbox.renderer
        words = renderer.words(lang)
        chart = renderer.env.get_template(f"{renderer.lang(lang)}/stats_chart.j2").module
        dates = self._dates(summary.period)
        grids = chart.grids.format(grids=", ".join(summary.grids)) if summary.grids else ""
        labels = {key: getattr(chart, key) for key in
                  ("per_day", "requests", "to_claim", "median", "none_claimed", "other", "bar")}
        return {**labels, "title": chart.title.format(start=dates["start"], end=dates["end"], grids=grids),
                "categories": dict(words.C), "urgencies": dict(words.U), "units": dict(chart.units)}

    def _dates(self, period: periods.Period) -> dict[str, str]:
        """The period's first and last local day, as the chart and the summary show them."""
        zone = ZoneInfo(self.tz)
        first = datetime.fromtimestamp(period.start, zone).date()
        last = datetime.fromtimestamp(max(period.start, period.end - 1), zone).date()
        return {"start": first.isoformat(), "end": last.isoformat(), "key": period.key}

    async def upload(self, tx: Tx, chat_id: int, lang: str | None, summary: Summary, png: bytes, lane: Lane,
                     purpose: str) -> int | None:
        caption = self.outbox.renderer.html(lang, "stats_caption", s=summary, **self._dates(summary.period))
        return await self.outbox.upload(tx, chat_id, "photo", png, f"stats-{summary.period.key}.png", lane=lane,
                                        purpose=purpose, caption=caption)

    # -- the weekly report ---------------------------------------------------------------------

    async def tick(self) -> bool:
        """The scheduler's question: is the weekly report due? Then it goes to the admin group
        (else each admin), once: the week before the day it was due, its summary and chart,
        the volunteers who handled the most and the lowest-rated tickets with their comments."""
        weekly = parse_weekly(self.settings.weekly_report_at)
        if not weekly:
            return False
        now = self.clock.now()
        async with self.db.transaction() as tx:
            row = await repo.schedule(tx, WEEKLY)
            if row is None or row["spec"] != weekly.spec:   # first start, or the setting changed
                await repo.plan(tx, WEEKLY, weekly.spec, next_weekly(weekly, now, self.tz))
                return False
            due = float(row["next_due_at"])
            if due > now:
                return False
            period = periods.last_week(due, self.tz)
            summary = await self.summary(tx, period, None)
            summary.extra = {
                "top": await repo.top_volunteers(tx, period.start, period.end, None, TOP),
                "lowest": [{**r, "text": scrub(r["comment"], (r["reporter_name"], r["resident_name"], r["volunteer_name"]))}
                           for r in await repo.lowest_rated(tx, period.start, period.end, None, LOWEST)],
            }
            audience = await self.alerts.admins(tx)
        # drawn outside the transaction (the database is not held while the chart is drawn) ...
        pngs: dict[str | None, bytes] = {}
        if not summary.empty:
            for _, lang, _ in audience:
                if lang not in pngs:
                    pngs[lang] = await self.draw(summary, lang)
        # ... and queued with the compare-and-set that makes it this tick's to send
        async with self.db.transaction() as tx:
            if not await repo.take_due(tx, WEEKLY, due, next_weekly(weekly, now, self.tz), now):
                return False
            for chat_id, lang, key in await self.alerts.admins(tx):
                queued = await self.outbox.post(
                    tx, chat_id, lang, "weekly_report", lane=Lane.UPDATE, purpose="notice",
                    dedupe=f"weekly:{period.start:.0f}:{key}", s=summary, **self._dates(period))
                if queued is not None and lang in pngs:
                    await self.upload(tx, chat_id, lang, summary, pngs[lang], Lane.UPDATE, "notice")
        self.outbox.kick()
        return True
