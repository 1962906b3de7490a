"""The escalation chain: an open ticket climbs its urgency's policy (bot/core/escalation.py) until
somebody claims it.

`Alerts.alert` starts the chain (`start`): step 1 goes out at once (a routine one in quiet hours
waits for the morning) and the ticket's row keeps when the next step is due (`next_action_at`)
and how many steps have fired (`escalation_step`). The scheduler tick (`tick`) fires what is due,
each step exactly once: a compare-and-set on the (round, step, deadline) it read, so two racing
ticks, or a tick racing a Can't go, fire it once; after a restart the first tick catches up. A
deadline under a minute away also gets a precise one-off job (`schedule`, set by bot/app.py to the
JobQueue's run_once); the database stays the truth.

A step that reaches nobody (nobody on duty, no leader, every chat unreachable, or nobody new: the
leader on duty already holds the alert), or whose alerted volunteers all pressed Can't go or could
not be reached, hands over to the next step at once, and the admins are told of the gap (once per
ticket and step; an admins' own alert carries it).

Who a step skips: anyone off duty (/duty off: the leader too), anyone already alerted in this
chain who still holds its alert with buttons (they have it in front of them), and anyone who
pressed Can't go in this chain. Repeats after the last step alert the last step's audience again
(the repeat is the reminder), except those who said they can't go.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.clock import local_time
from bot.core import Member, checkins, escalation as chain
from bot.delivery import Lane
from bot.services.alerts import Alerts
from bot.services.base import Service, Ticket
from bot.services.kit import Kit
from bot.services.people import Person
from storage import Tx, escalation as chain_repo, outbox as outbox_repo, settings as settings_repo, tickets as repo

log = logging.getLogger(__name__)

PRECISE = 60.0          # a deadline closer than the tick's period gets its own one-off job
SETTING = "escalation:"  # + urgency: the admins' delays (settings table)


@dataclass
class Reach:
    """One step's audience: (chat, language, key) in order, and what stood in the way."""

    chats: list[tuple[int, str | None, str]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    unreached: list[str] = field(default_factory=list)
    nobody_on_duty: bool = False
    anyone: bool = False     # someone could have been alerted (perhaps already was)


class Escalation(Service):
    def __init__(self, kit: Kit, alerts: Alerts) -> None:
        super().__init__(kit)
        self.alerts = alerts
        alerts.escalation = self
        self.quiet = checkins.Quiet.parse(kit.settings.alert_quiet_hours)
        # bot/app.py: the JobQueue's run_once(delay in seconds); None in services without one
        self.schedule: Callable[[float], None] | None = None

    # -- policies ----------------------------------------------------------------------------------

    async def policy(self, tx: Tx, urgency: str) -> chain.Policy:
        return chain.decode(urgency, await settings_repo.get(tx, SETTING + urgency))

    async def policies(self) -> dict[str, chain.Policy]:
        async with self.db.transaction() as tx:
            return {urgency: await self.policy(tx, urgency) for urgency in chain.URGENCIES}

    async def change(self, change: chain.Change) -> chain.Policy:
        """The admins' new delays (parsed and checked by bot/core/escalation.parse_change). Chains
        already running keep the deadline they have; their next steps follow the new delays."""
        async with self.db.transaction() as tx:
            policy = (await self.policy(tx, change.urgency)).with_delays(change.delays, change.repeat)
            if policy == chain.DEFAULTS[change.urgency]:
                await settings_repo.delete(tx, SETTING + change.urgency)
            else:
                await settings_repo.put(tx, SETTING + change.urgency, chain.encode(policy))
        return policy

    async def command(self, person: Person, chat_id: int, args: list[str]) -> None:
        """/escalation: the policies; /escalation URGENCY DELAY,DELAY,… [repeat DELAY]: new delays.
        Bad words are answered naming what was wrong, and change nothing."""
        if not args:
            await self._show(person, chat_id)
            return
        parsed = chain.parse_change(args, await self.policies())
        if isinstance(parsed, chain.Refused):
            async with self.db.transaction() as tx:
                await self.outbox.say(tx, chat_id, person.lang, "escalation_refused", code=parsed.code,
                                      value=parsed.value, expected=parsed.expected,
                                      given=len(parsed.value.split(",")), urgency=chain.parse_urgency(args[0]))
            self.outbox.kick()
            return
        await self.change(parsed)
        await self._show(person, chat_id, changed=parsed.urgency)

    async def _show(self, person: Person, chat_id: int, changed: str | None = None) -> None:
        policies = await self.policies()
        views = [{"urgency": urgency, "repeat": policy.repeat, "quiet": policy.quiet,
                  "steps": [{"audiences": list(step.audiences), "delay": step.delay} for step in policy.steps]}
                 for urgency, policy in policies.items()]
        async with self.db.transaction() as tx:
            await self.outbox.say(tx, chat_id, person.lang, "escalation_policies", policies=views, changed=changed,
                                  quiet=self.settings.alert_quiet_hours if self.quiet else None)
        self.outbox.kick()

    # -- the chain ---------------------------------------------------------------------------------

    async def start(self, tx: Tx, ticket: Ticket, exclude: tuple[int, ...] = ()) -> None:
        """Start (or restart) the chain of an open ticket at step 1: a new alert round."""
        now = self.clock.now()
        policy = await self.policy(tx, ticket["urgency"])
        unplaced = ticket["resident_id"] is None  # the admins hear at once, whatever the hour
        due = now if unplaced and policy.steps else chain.first_due(policy, now, self.settings.timezone, self.quiet)
        since = await chain_repo.last_event_id(tx, ticket["id"])
        await repo.update(tx, ticket["id"], {
            "alert_round": ticket["alert_round"] + 1, "escalation_step": 0, "next_action_at": due,
            "escalation_since": since, "escalation_exclude": ",".join(str(v) for v in exclude),
        }, now)
        fresh = await repo.get(tx, ticket["id"])
        assert fresh is not None
        if due is None:
            return  # info: nobody is alerted
        if due <= now:
            await self._fire(tx, fresh, 1, now, policy)
        else:
            await repo.add_event(tx, ticket["id"], "alert_held", now, None, None,
                                 local_time(due, self.settings.timezone))
            self._remind(due - now)

    async def tick(self) -> int:
        """Fire every step that is due by the clock; the number fired."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            due = await chain_repo.due(tx, now)
        fired = 0
        for row in due:
            try:
                fired += await self._fire_due(row, now)
            except Exception:  # one ticket's failure must not hold up every other ticket's chain
                log.exception("escalation step of ticket %s failed", row["id"])
        async with self.db.transaction() as tx:
            soonest = await chain_repo.next_deadline(tx)
        if soonest is not None:
            self._remind(soonest - self.clock.now())
        if fired:
            self.outbox.kick()
        return fired

    async def _fire_due(self, row: dict[str, Any], now: float) -> bool:
        """The next step of one ticket the tick found due; False when somebody moved it first."""
        async with self.db.transaction() as tx:
            # several workers: the ticket's row first (another worker firing it: skipped here)
            if not await chain_repo.lock_due(tx, row["id"], now):
                return False
            number = row["escalation_step"] + 1
            ticket = await repo.get(tx, row["id"])
            assert ticket is not None
            policy = await self.policy(tx, ticket["urgency"])
            if not policy.has(number):
                # relabelled since (an info ticket has no steps; a policy with fewer): the chain ends
                await chain_repo.take_step(tx, row["id"], row["alert_round"], row["escalation_step"],
                                           row["next_action_at"], {"next_action_at": None}, now)
                return False
            # ours only if nobody (another tick, a Can't go, a claim) moved the ticket since we read it
            if not await chain_repo.take_step(tx, row["id"], row["alert_round"], row["escalation_step"],
                                              row["next_action_at"], {"escalation_step": number}, now):
                return False
            ticket = await repo.get(tx, row["id"])
            assert ticket is not None
            # a tick that is a little late keeps the cadence; after a long stop, it starts from now
            base = max(row["next_action_at"], now - PRECISE)
            await self._fire(tx, ticket, number, base, policy)
            return True

    def _remind(self, delay: float) -> None:
        """A deadline under a minute away: a precise one-off job (the tick would be late)."""
        if self.schedule is not None and delay < PRECISE:
            self.schedule(max(delay, 0.0))

    async def _fire(self, tx: Tx, ticket: Ticket, number: int, base: float, policy: chain.Policy,
                    gaps: list[tuple[int, str]] | None = None) -> None:
        """Step `number` goes out; a step that reaches nobody hands over to the next at once. The
        step after it is due `base` + its delay (base: when this step was due, or now)."""
        gaps = list(gaps or [])
        now = self.clock.now()
        while True:
            step = policy.step(number)
            reach = await self._reach(tx, ticket, number, step.audiences, now, policy)
            # nobody on duty is a gap even when the step also reached a leader (an emergency's step 1)
            gap = "nobody_on_duty" if reach.nobody_on_duty else None if reach.anyone else (
                "unreachable" if reach.unreached else "nobody")
            if gap is None and not reach.chats and number > 1:
                gap = "nobody_new"  # all it would reach have the alert already (the leader on duty)
            detail = f"round {ticket['alert_round']} step {number} {'+'.join(step.audiences)}: "
            await repo.add_event(tx, ticket["id"], "alerted", now, None, None, detail + (", ".join(reach.names) or "-"))
            if reach.unreached:
                await repo.add_event(tx, ticket["id"], "skipped_unreachable", now, None, None,
                                     ", ".join(reach.unreached))
            admins_alerted = bool(chain.ADMIN_AUDIENCES & set(step.audiences)) and bool(reach.chats)
            await self.alerts.post_alerts(
                tx, ticket, number, reach.chats, nobody_on_duty=reach.nobody_on_duty or any(
                    g == "nobody_on_duty" for _, g in gaps), unreached=await self._unreached(tx, ticket, reach),
                gaps=[g for _, g in gaps])
            if gap is not None and number < len(policy.steps):
                await repo.add_event(tx, ticket["id"], "escalation_gap", now, None, None, f"step {number}: {gap}")
                gaps.append((number, gap))
                number += 1
                continue
            if gap is not None and gap != "nobody_new":
                log.error("ticket %s: step %s of its chain reaches nobody", ticket["id"], number)
            break
        due = chain.next_due(policy, number, base, self.settings.timezone, self.quiet)
        await repo.update(tx, ticket["id"], {"escalation_step": number, "next_action_at": due}, now)
        if gaps and not admins_alerted:
            await self._tell_gaps(tx, ticket, number, gaps, reach)
        if due is not None:
            self._remind(due - self.clock.now())

    async def _reach(self, tx: Tx, ticket: Ticket, number: int, audiences: tuple[str, ...], now: float,
                     policy: chain.Policy) -> Reach:
        """Whom step `number` alerts: each chat once; volunteers known to be unreachable are left
        out (and named); see the module's docstring for who a later step skips."""
        reach = Reach()
        exclude = {int(v) for v in (ticket["escalation_exclude"] or "").split(",") if v}
        volunteers: list[Member] = []
        admins: list[tuple[int, str | None, str]] = []
        for audience in audiences + (("admin_group",) if number == 1 and ticket["resident_id"] is None else ()):
            if audience == "on_duty":
                on_call = await self.alerts.on_call(tx, ticket["grid"], now, tuple(exclude))
                reach.nobody_on_duty = not on_call
                volunteers += on_call
            elif audience in ("leader", "all_grid"):
                volunteers += [m for m in await self.alerts.available(tx, ticket["grid"], now)
                               if m.volunteer_id not in exclude and m.telegram_id is not None
                               and (audience == "all_grid" or m.role == "leader")]
            elif audience == "admin_group":
                admins += await self.alerts.admins(tx)
            elif audience == "all_admins":
                ids = sorted(self.settings.admin_ids)
                blocked = await outbox_repo.unreachable(tx, list(ids))
                admins += [(a, await self.lang_of(tx, a), str(a)) for a in ids if a not in blocked]
        blocked = await outbox_repo.unreachable(tx, [m.telegram_id for m in volunteers if m.telegram_id])
        candidates: dict[int, tuple[str | None, str, str]] = {}
        for m in volunteers:
            assert m.telegram_id is not None
            if m.telegram_id in blocked:
                if m.name not in reach.unreached:
                    reach.unreached.append(m.name)
            else:
                candidates.setdefault(m.telegram_id, (m.language, str(m.telegram_id), m.name))
        for chat, lang, key in admins:
            candidates.setdefault(chat, (lang, key, ""))
        reach.anyone = bool(candidates)
        skip = await self._skip(tx, ticket, number, policy)
        for chat, (lang, key, name) in candidates.items():
            if chat in skip:
                continue
            reach.chats.append((chat, lang, key))
            if name:
                reach.names.append(name)
        return reach

    async def _skip(self, tx: Tx, ticket: Ticket, number: int, policy: chain.Policy) -> set[int]:
        """Who this step leaves alone: those who said they can't go in this chain, and (for the
        chain's own steps, not its repeats) those still holding one of its alerts with buttons."""
        skip = await chain_repo.declined_since(tx, ticket["id"], ticket["escalation_since"] or 0)
        if number > 1 and number <= len(policy.steps):
            rows = await chain_repo.alert_rows(tx, ticket["id"], f"alert:{ticket['id']}:{ticket['alert_round']}:")
            skip |= {r["chat_id"] for r in rows if r["status"] in ("pending", "sent")}
        return skip

    async def _unreached(self, tx: Tx, ticket: Ticket, reach: Reach) -> list[str]:
        """Everyone of this chain who could not be reached, for the alert: find someone else."""
        names = list(reach.unreached)
        rows = await chain_repo.alert_rows(tx, ticket["id"], f"alert:{ticket['id']}:{ticket['alert_round']}:")
        for row in rows:
            if row["status"] in ("failed", "unreachable") and row["chat_id"] > 0:
                name = await self.alerts.name_of(tx, row["chat_id"])
                if name not in names:
                    names.append(name)
        return names

    async def _tell_gaps(self, tx: Tx, ticket: Ticket, reached: int, gaps: list[tuple[int, str]], reach: Reach) -> None:
        """The admins hear that the chain skipped ahead, and why (once per ticket and step)."""
        first = gaps[0][0]
        for chat, lang, key in await self.alerts.admins(tx):
            await self.outbox.post(
                tx, chat, lang, "escalation_gap", lane=Lane.EMERGENCY if ticket["urgency"] == "emergency" else Lane.UPDATE,
                purpose="notice", ticket_id=ticket["id"],
                dedupe=f"gap:{ticket['id']}:{ticket['alert_round']}:{first}:{key}",
                ticket=ticket, gaps=[g for _, g in gaps], step=reached, names=reach.names,
            )

    # -- what makes the next step go at once ------------------------------------------------------

    async def declined(self, tx: Tx, ticket_id: int) -> None:
        """Somebody pressed Can't go: if everyone the current step alerted has (or could not be
        reached), the next step goes now."""
        await self._step_over(tx, ticket_id, "declined")

    async def undelivered(self, tx: Tx, row: dict[str, Any]) -> None:
        """An alert could not be delivered: if nobody of the current step can be reached (or is
        going), the next step goes now. (Folds the old "escalate to the admins" into the chain.)"""
        ticket = await repo.get(tx, row["ticket_id"])
        if ticket is None or not (row["dedupe_key"] or "").startswith(
                f"alert:{ticket['id']}:{ticket['alert_round']}:{ticket['escalation_step']}:"):
            return  # an earlier step's or round's alert: the chain has moved on already
        await self._step_over(tx, ticket["id"], "unreachable")

    async def _step_over(self, tx: Tx, ticket_id: int, why: str) -> None:
        ticket = await repo.get(tx, ticket_id)
        if ticket is None or ticket["status"] != "open" or ticket["escalation_step"] == 0:
            return
        number = ticket["escalation_step"]
        policy = await self.policy(tx, ticket["urgency"])
        if number >= len(policy.steps):
            return  # the last step: its repeat comes on time (never a loop of at-once repeats)
        rows = await chain_repo.alert_rows(tx, ticket_id, f"alert:{ticket_id}:{ticket['alert_round']}:{number}:")
        if not rows:
            return
        declined = await chain_repo.declined_since(tx, ticket_id, ticket["escalation_since"] or 0)
        if any(r["status"] == "pending" or (r["status"] == "sent" and r["chat_id"] not in declined) for r in rows):
            return  # someone of this step may still go
        now = self.clock.now()
        if not await chain_repo.take_step(tx, ticket_id, ticket["alert_round"], number, ticket["next_action_at"],
                                          {"escalation_step": number + 1}, now):
            return
        await repo.add_event(tx, ticket_id, "escalation_gap", now, None, None, f"step {number}: {why}")
        ticket = await repo.get(tx, ticket_id)
        assert ticket is not None
        await self._fire(tx, ticket, number + 1, now, policy, gaps=[(number, why)])
