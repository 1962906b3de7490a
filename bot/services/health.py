"""The desk's health: the facts /healthz (a load balancer) and /health (an admin) read, and the
auditor the scheduler tick runs last: timers overdue by more than a minute warn the admins once
per incident, and they hear when it is over."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

from bot.clock import local_time
from bot.core import health as rules
from bot.delivery import Lane
from bot.services.alerts import Alerts
from bot.services.base import Service
from bot.services.kit import Kit
from storage import health as repo, leader as leader_repo

log = logging.getLogger(__name__)

READ_TIMEOUT = 5.0   # a database that does not answer within this is "unreachable" to /healthz


class Health(Service):
    def __init__(self, kit: Kit, alerts: Alerts) -> None:
        super().__init__(kit)
        self.alerts = alerts

    async def check(self) -> rules.Health:
        now = self.clock.now()
        try:
            async with asyncio.timeout(READ_TIMEOUT):
                async with self.db.transaction() as tx:
                    reachable = await repo.ping(tx)
                    timers = await repo.due_timers(tx, now)
                    outbox = await repo.oldest_due_outbox(tx, now, below_priority=int(Lane.BULK))
                    leader = await leader_repo.current(tx) if self.db.engine == "postgres" else None
        except Exception:  # noqa: BLE001 - whatever went wrong, the database did not answer
            log.warning("health check: the database did not answer", exc_info=True)
            return rules.assess(False, [], None, now)
        health = rules.assess(reachable, [rules.Due(**t) for t in timers],
                              rules.Due("outbox", outbox["id"], outbox["due_at"]) if outbox else None, now)
        if leader is not None and leader["holder"]:
            mine = self.outbox.leader.epoch
            health = dataclasses.replace(health, leader={
                "worker": leader["holder"], "epoch": int(leader["epoch"]), "since": leader["since"],
                "this_worker": mine is not None and mine == int(leader["epoch"])})
        return health

    def facts(self, health: rules.Health) -> dict[str, Any]:
        """What a person reads: the verdict with times on the committee's clock."""
        now = self.clock.now()

        def due(item: rules.Due | None) -> dict[str, Any] | None:
            return None if item is None else {
                "kind": item.kind, "id": item.id, "count": item.count, "due": local_time(item.due_at, self.settings.timezone),
                "late_minutes": int(item.late(now) // 60), "overdue": item.late(now) > rules.OVERDUE}

        return {"ok": health.ok, "database": health.database, "timer": due(health.timer),
                "due_timers": health.due_timers, "outbox": due(health.outbox), "leader": leader_line(health.leader)}

    async def report(self, chat_id: int, lang: str | None) -> None:
        """/health: the same facts as /healthz, for an admin in the chat."""
        facts = self.facts(await self.check())
        async with self.db.transaction() as tx:
            await self.outbox.say(tx, chat_id, lang, "health_report", **facts)
        self.outbox.kick()

    async def audit(self) -> None:
        """The tick's last step: any timer overdue by more than a minute opens an incident (one
        warning to the admins), and its end is told once too. The incident is a row, so a restart
        or a second worker warns no second time."""
        health = await self.check()
        now = self.clock.now()
        async with self.db.transaction() as tx:
            current = rules.Incident.load(await repo.incident(tx))
            action = rules.audit(current, health, now)
            if action == "warn":
                assert health.timer is not None
                if not await repo.open_incident(tx, rules.Incident(now, health.timer.kind, health.timer.id).dump()):
                    return
                template, context = "health_overdue", self.facts(health)
            elif action == "clear":
                assert current is not None
                if not await repo.close_incident(tx):
                    return
                template = "health_normal"
                context = {"minutes": max(1, int((now - current.since) // 60)) if current.since else None}
            else:
                return
            for chat_id, lang, _ in await self.alerts.admins(tx):
                await self.outbox.post(tx, chat_id, lang, template, lane=Lane.ALERT, purpose="admin_notice", **context)
        log.warning("health: %s (%s)", template, "; ".join(health.problems) or "timers on time")
        self.outbox.kick()


def leader_line(leader: dict[str, Any] | None) -> str | None:
    """The sender as /health shows it: "host:pid, epoch 3 (this worker)"; None where one process sends."""
    if leader is None:
        return None
    return f"{leader['worker']}, epoch {leader['epoch']}" + (" (this worker)" if leader["this_worker"] else "")
