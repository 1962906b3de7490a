"""Several workers on one PostgreSQL database, in one process (each its own `Services` and its own
connections): one sender chosen by an advisory lock and fenced by an epoch, a dead sender
replaced, timers fired once, and one chat's updates handled in order across workers.

The kill -9 of a real worker process is tests/e2e (the failover test); here a crash is the
worker's connections closed abruptly, which is what PostgreSQL sees of a process that died."""

from __future__ import annotations

import asyncio
import collections
import time
from types import SimpleNamespace
from typing import Any

import pytest

from bot.app import Services, build_services
from bot.clock import FakeClock
from bot.config import load_settings
from bot.core import FloodControl, Limits
from bot.delivery import Lane
from tests.conftest import fresh_database, on_postgres

pytestmark = pytest.mark.skipif(not on_postgres, reason="several workers share a database on PostgreSQL only "
                                                        "(FRONTDESK_TEST_DB=postgres); SQLite has one process")

RETRY = 0.2   # seconds between a follower's tries of the sender's lock (2 s in production)


class Telegram:
    """A stand-in for Telegram that records the sends of one worker; with `hold`, every send
    waits until the event is set (a send in flight)."""

    username = "frontdesk_bot"

    def __init__(self, name: str, heard: list[tuple[str, int, str]], hold: asyncio.Event | None = None,
                 edited: list[tuple[str, int, str]] | None = None) -> None:
        self.name = name
        self.heard = heard
        self.hold = hold
        self.edited = edited if edited is not None else []
        self.started: list[int] = []

    async def edit_message_text(self, text: str, chat_id: int, message_id: int, **_: Any) -> Any:
        self.edited.append((self.name, chat_id, text))
        return SimpleNamespace(message_id=message_id)

    async def send_message(self, chat_id: int, text: str, **_: Any) -> Any:
        self.started.append(chat_id)
        if self.hold is not None:
            await self.hold.wait()
        self.heard.append((self.name, chat_id, text))
        return SimpleNamespace(message_id=len(self.heard))


class Workers:
    def __init__(self, url: str, clock: FakeClock) -> None:
        self.url = url
        self.clock = clock
        self.all: list[Services] = []
        self.heard: list[tuple[str, int, str]] = []
        self.edited: list[tuple[str, int, str]] = []

    async def add(self, name: str, hold: asyncio.Event | None = None, send: bool = True, **overrides: Any) -> Services:
        settings = load_settings(telegram_bot_token="1:TEST", frontdesk_db=self.url, admin_ids=frozenset({9001}),
                                 default_language="en", default_grid="G1", sender_leader_retry_seconds=RETRY,
                                 alert_quiet_hours="none", **overrides)
        roomy = FloodControl(Limits(overall=(1000, 1.0), private=(1000, 1.0), group=(1000, 1.0)))
        services = build_services(settings, self.clock, roomy, poll_interval=0.02)
        services.outbox.leader.me = name
        await services.db.open()
        if send:
            services.outbox.start(Telegram(name, self.heard, hold, self.edited))  # type: ignore[arg-type]
            await until(lambda: services.outbox.leader.checks > 0)   # its first try of the lock is done
        self.all.append(services)
        return services

    async def close(self) -> None:
        for services in self.all:
            for task in list(services.outbox._in_flight.values()):
                task.cancel()
            try:
                await asyncio.wait_for(services.outbox.stop(), 5)
            except Exception:  # noqa: BLE001 - a crashed worker's connections are gone already
                pass
            try:
                await asyncio.wait_for(services.db.close(), 5)
            except Exception:  # noqa: BLE001
                services.db._conn.terminate()


@pytest.fixture
async def workers(pg_cluster):
    url = await fresh_database(pg_cluster, "workers")
    group = Workers(url, FakeClock())
    yield group
    await group.close()


def crash(services: Services) -> None:
    """What PostgreSQL sees of a worker killed: its connections gone at once, mid-whatever."""
    services.outbox.leader._lock.conn.terminate()
    services.db._conn.terminate()
    if services.outbox._runner is not None:
        services.outbox._runner.cancel()
    if services.outbox.leader._task is not None:
        services.outbox.leader._task.cancel()
    for runner in services.broadcasts._runners.values():   # nothing of a dead process runs on
        runner.cancel()


async def queue(services: Services, chats: range, per_chat: int = 1) -> None:
    async with services.db.transaction() as tx:
        for n in range(per_chat):
            for chat in chats:
                await services.outbox.post(tx, chat, "en", "edit_update", lane=Lane.UPDATE, purpose="test",
                                           ticket={"id": 0}, text=f"message {n} to {chat}")


async def until(condition, timeout: float = 10.0, step: float = 0.02) -> float:
    """Wait for `condition()` (sync or async); the seconds it took."""
    start = time.monotonic()
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"not within {timeout}s")
        await asyncio.sleep(step)


async def rows(services: Services, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    async with services.db.transaction() as tx:
        return [dict(r) for r in await tx.all(sql, params)]


async def all_sent(services: Services) -> bool:
    return not await rows(services, "SELECT id FROM outbox WHERE status = 'pending'")


async def test_only_the_leader_sends_and_followers_queue(workers):
    first = await workers.add("w1")
    second, third = await workers.add("w2"), await workers.add("w3")
    assert first.outbox.leader.leading and not second.outbox.leader.leading and not third.outbox.leader.leading
    await queue(second, range(100, 120))   # a follower queues; the leader sends
    await queue(third, range(200, 210))
    await until(lambda: all_sent(first))
    await asyncio.sleep(3 * RETRY)   # the followers had every chance to send too
    assert {name for name, _, _ in workers.heard} == {"w1"}
    assert sorted(chat for _, chat, _ in workers.heard) == [*range(100, 120), *range(200, 210)]
    health = await second.health.check()
    assert health.ok and health.leader == {"worker": "w1", "epoch": 1, "since": health.leader["since"],
                                           "this_worker": False}
    assert (await first.health.check()).leader["this_worker"] is True


async def test_a_crashed_leader_is_replaced_and_only_rows_in_flight_go_again(workers):
    """The leader claims one row per chat and dies mid-send: another worker leads within the
    retry interval, sends again exactly the rows whose outcome is unknown (counted), and every
    other row once."""
    hold = asyncio.Event()   # never set: the first leader's sends never finish
    first = await workers.add("w1", hold=hold)
    second = await workers.add("w2")
    await workers.add("w3")
    await queue(second, range(300, 305), per_chat=2)
    in_flight = await until(lambda: len(first.outbox._in_flight) == 5) is not None and sorted(first.outbox._in_flight)
    claimed = {r["id"] for r in await rows(second, "SELECT id FROM outbox WHERE claimed_at IS NOT NULL")}
    assert len(claimed) == 5 and in_flight == list(range(300, 305))

    crash(first)
    took = await until(lambda: any(w.outbox.leader.leading for w in workers.all[1:]), timeout=10)
    new = next(w for w in workers.all[1:] if w.outbox.leader.leading)
    assert took < 5 * RETRY + 1.0, f"took over after {took:.2f}s"
    await until(lambda: all_sent(new))
    assert new.outbox.stats["unknown_outcomes"] == 5
    again = {r["id"] for r in await rows(new, "SELECT id FROM outbox WHERE unknown_outcomes > 0")}
    assert again == claimed
    heard = collections.Counter(chat for name, chat, _ in workers.heard)
    assert heard == {chat: 2 for chat in range(300, 305)}   # each chat's two messages, once each
    assert {name for name, _, _ in workers.heard} == {new.outbox.leader.me}
    epochs = await rows(new, "SELECT epoch, holder FROM sender_leader")
    assert epochs == [{"epoch": 2, "holder": new.outbox.leader.me}]
    print(f"take-over: {took:.2f}s with a retry of {RETRY}s")


async def test_a_stale_leaders_late_mark_changes_nothing(workers):
    """The leader's lock connection breaks while the process goes on (a network partition): the
    new leader sends its rows again; when the old one's sends finally return, its marks are
    refused and it stops sending."""
    hold = asyncio.Event()
    first = await workers.add("w1", hold=hold)
    second = await workers.add("w2")
    await queue(second, range(400, 403))
    await until(lambda: len(first.outbox._in_flight) == 3)
    first.outbox.leader._lock.conn.terminate()   # the lock is gone; the process and its database connection are not
    await until(lambda: second.outbox.leader.leading)
    await until(lambda: all_sent(second))
    before = await rows(second, "SELECT id, status, message_id, sent_at, attempts, claimed_at, unknown_outcomes "
                                "FROM outbox ORDER BY id")
    hold.set()   # the old leader's sends return now
    await until(lambda: first.outbox.stats["fenced_marks"] == 3)
    await until(lambda: not first.outbox._in_flight)
    assert await rows(second, "SELECT id, status, message_id, sent_at, attempts, claimed_at, unknown_outcomes "
                              "FROM outbox ORDER BY id") == before
    assert all(r["unknown_outcomes"] == 1 and r["status"] == "sent" for r in before)
    assert not first.outbox.leader.leading and first.outbox.stats["sent"] == 0
    # and a claim asked with the old epoch is refused: the epoch moved on
    from storage import leader as leader_repo

    async with first.db.transaction() as tx:
        assert not await leader_repo.holds(tx, 1) and await leader_repo.holds(tx, 2)


async def test_two_leaders_cannot_both_hold_the_lock(workers):
    """The lock itself: a second worker's try fails while the first holds it, and succeeds once
    the first lets go (a clean stop)."""
    first = await workers.add("w1")
    second = await workers.add("w2")
    assert not await second.outbox.leader._lock.try_acquire()
    await first.outbox.stop()
    took = await until(lambda: second.outbox.leader.leading, timeout=5)
    assert took <= 3 * RETRY + 0.5


class Handling:
    """A stand-in for the Application of one worker: records when each update's handling starts
    and ends (a shared log across workers), taking a little time about it."""

    bot = None

    def __init__(self, name: str, log: list[tuple[str, str, int, int]]) -> None:
        self.name = name
        self.log = log

    async def process_update(self, update: Any) -> None:
        chat = update.effective_chat.id
        self.log.append(("start", self.name, chat, update.update_id))
        await asyncio.sleep(0.005 * (update.update_id % 3))
        self.log.append(("end", self.name, chat, update.update_id))


def message(update_id: int, chat: int) -> str:
    import json

    return json.dumps({"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "text": f"#{update_id}",
        "chat": {"id": chat, "type": "private"}, "from": {"id": chat, "is_bot": False, "first_name": "R"}}})


async def test_two_workers_handle_one_chats_updates_in_order(workers):
    log: list[tuple[str, str, int, int]] = []
    first = await workers.add("w1", send=False)
    second = await workers.add("w2", send=False)
    chats = [601, 602, 603]
    updates = [(n, message(n, chats[n % 3])) for n in range(1, 61)]
    for services, name in ((first, "w1"), (second, "w2")):
        await services.source.start(Handling(name, log), poll=False)  # type: ignore[arg-type]
    try:
        for n in range(0, 60, 6):   # stored by both workers, as two webhook workers would
            await (first if n % 12 else second).source.receive(*updates[n])
            for update_id, raw in updates[n + 1:n + 6]:
                await first.inbox.store([(update_id, raw)])
            second.source._wake.set()
        await until(lambda: sum(1 for e in log if e[0] == "end") == 60, timeout=20)
    finally:
        await first.source.stop()
        await second.source.stop()
    assert first.source.per_chat and second.source.per_chat
    for chat in chats:
        events = [(kind, update_id) for kind, _, c, update_id in log if c == chat]
        ids = [update_id for kind, update_id in events if kind == "start"]
        assert ids == sorted(ids) and len(ids) == 20, f"chat {chat}: {ids}"
        # never two at once: each start is followed by its own end
        assert events == [(kind, update_id) for update_id in ids for kind in ("start", "end")]
    assert {name for _, name, _, _ in log} == {"w1", "w2"}   # both took part
    assert not await rows(first, "SELECT update_id FROM inbox WHERE handled_at IS NULL")


async def test_two_workers_ticking_at_once_fire_an_escalation_step_once(workers):
    from tests.services.test_services import _resident, _volunteer

    first = await workers.add("w1", send=False)
    second = await workers.add("w2", send=False)
    third = await workers.add("w3", send=False)
    desk = SimpleNamespace(s=first)
    for volunteer in (7001, 7002):
        await _volunteer(desk, volunteer)
    await _resident(desk)
    resident = await first.inbox.who(5001, "Li")
    ticket_id = await first.intake.report(resident, 5001, "The corridor light is broken")
    for round_ in range(3):   # three steps in a row, each due, each ticked by three workers at once
        ticket = (await rows(first, "SELECT * FROM tickets WHERE id = ?", (ticket_id,)))[0]
        if ticket["next_action_at"] is None:
            break
        workers.clock.advance(ticket["next_action_at"] - workers.clock.now() + 1)  # type: ignore[attr-defined]
        fired = await asyncio.gather(first.escalation.tick(), second.escalation.tick(), third.escalation.tick())
        after = (await rows(first, "SELECT * FROM tickets WHERE id = ?", (ticket_id,)))[0]
        # one worker fired (a step that reaches nobody hands over to the next at once: maybe more than one step)
        assert sum(fired) == 1 and after["escalation_step"] > ticket["escalation_step"], (round_, fired)
    steps = [r["detail"] for r in await rows(first, "SELECT detail FROM ticket_events WHERE ticket_id = ? "
                                                    "AND kind = 'alerted' ORDER BY id", (ticket_id,))]
    numbers = [detail.split(" step ")[1].split(" ")[0] for detail in steps]
    assert numbers == sorted(set(numbers), key=int), steps   # each step alerted once, in order
    # the alerts themselves: one outbox row per (round, step, chat), never two
    keys = [r["dedupe_key"] for r in await rows(first, "SELECT dedupe_key FROM outbox WHERE purpose = 'alert'")]
    assert len(keys) == len(set(keys)) and keys


async def test_two_workers_ticking_at_once_remind_a_claimant_once_and_give_the_ticket_back_once(workers):
    from tests.services.test_services import _resident, _volunteer

    first = await workers.add("w1", send=False)
    second = await workers.add("w2", send=False)
    desk = SimpleNamespace(s=first)
    await _volunteer(desk, 7001)
    await _resident(desk)
    ticket_id = await first.intake.report(await first.inbox.who(5001, "Li"), 5001, "The corridor light is broken")
    assert (await first.volunteering.claim(await first.inbox.who(7001, "Zhang"), ticket_id)).template == "toast_claimed"
    for stage in ("reminded", "given back"):
        due = (await rows(first, "SELECT ack_due_at FROM tickets WHERE id = ?", (ticket_id,)))[0]["ack_due_at"]
        workers.clock.advance(due - workers.clock.now() + 1)  # type: ignore[attr-defined]
        fired = await asyncio.gather(first.followup.tick(), second.followup.tick(), first.followup.tick())
        assert sum(fired) == 1, (stage, fired)
    events = [r["kind"] for r in await rows(first, "SELECT kind FROM ticket_events WHERE ticket_id = ? ORDER BY id",
                                            (ticket_id,))]
    assert events.count("ack_reminded") == 1
    assert (await rows(first, "SELECT status FROM tickets WHERE id = ?", (ticket_id,)))[0]["status"] == "open"


async def test_a_leader_whose_database_connection_broke_lets_another_lead(workers):
    """Its lock's connection still answers, but the worker can no longer claim or mark: it lets
    the lock go, and another worker leads."""
    first = await workers.add("w1")
    second = await workers.add("w2")
    first.db._conn.terminate()
    await until(lambda: second.outbox.leader.leading, timeout=5)
    assert not first.outbox.leader.leading
    await queue(second, range(700, 703))
    await until(lambda: all_sent(second))
    assert {name for name, _, _ in workers.heard} == {"w2"}


ADMIN = 9001
RESIDENTS = range(500_000, 500_120)


async def announcement(workers: Workers, tmp_path: Any) -> tuple[Services, Services, int, dict[str, list[int]]]:
    """Two workers (w1 leads), 120 registered residents, a broadcast to all of them sent slowly
    (batches of 10, a step every 0.05 s) and Send pressed on the follower. Returns the workers, the
    broadcast and, per worker, the broadcasts its runners stepped."""
    from bot.services import import_residents
    from bot.services.people import Person
    from bot.delivery import buttons

    slow = {"broadcast_batch": 10, "broadcast_progress_seconds": 1.0}
    first, second = await workers.add("w1", **slow), await workers.add("w2", **slow)
    assert first.outbox.leader.leading and not second.outbox.leader.leading
    people = tmp_path / "residents.csv"
    people.write_text("name,phone,telegram_id,building,unit,room,grid,language\n" + "".join(
        f"R{n},139{n:08d},{chat},{n % 7 + 1},1,101,G1,en\n" for n, chat in enumerate(RESIDENTS)), encoding="utf-8")
    await import_residents(first.db, people, workers.clock)
    async with first.db.transaction() as tx:
        await tx.execute("UPDATE residents SET registered_at = ?", (workers.clock.now(),))
    stepped: dict[str, list[int]] = {"w1": [], "w2": []}
    for services in (first, second):
        services.broadcasts.step_seconds = 0.05
        step = services.broadcasts.step

        async def spy(broadcast_id: int, step=step, name=services.outbox.leader.me) -> bool:
            stepped[name].append(broadcast_id)
            return await step(broadcast_id)

        services.broadcasts.step = spy  # type: ignore[method-assign]
    admin = Person(telegram_id=ADMIN, first_name="Admin", lang="en", is_admin=True)
    await second.broadcasts.preview(admin, ADMIN, "all The lift is serviced on Monday")
    broadcast_id = (await rows(second, "SELECT id FROM broadcasts"))[0]["id"]
    answer = await second.broadcasts.press(admin, buttons.BROADCAST_SEND.name, broadcast_id)
    assert answer.template == "toast_broadcast_sending", answer
    return first, second, broadcast_id, stepped


def announced(workers: Workers) -> collections.Counter[int]:
    return collections.Counter(chat for _, chat, text in workers.heard if chat in RESIDENTS and "lift" in text)


async def the_broadcast_finishes(workers: Workers, services: Services, broadcast_id: int) -> None:
    await until(lambda: rows(services, "SELECT id FROM broadcasts WHERE status = 'done'"), timeout=30)
    await until(lambda: all_sent(services), timeout=10)
    heard = announced(workers)
    assert set(heard) == set(RESIDENTS)   # everybody got it
    unknown = (await rows(services, "SELECT coalesce(sum(unknown_outcomes), 0) AS n FROM outbox "
                                    "WHERE purpose = 'broadcast'"))[0]["n"]
    twice = {chat: n for chat, n in heard.items() if n > 1}
    assert sum(n - 1 for n in twice.values()) <= unknown, (twice, unknown)   # only rows of unknown outcome
    for chat in twice:
        assert await rows(services, "SELECT id FROM outbox WHERE chat_id = ? AND unknown_outcomes > 0", (chat,)), chat


async def test_only_the_sender_runs_a_broadcast_and_another_goes_on_when_it_dies(workers, tmp_path):
    """Send pressed on a follower: the leader runs the broadcast (one runner, the admin's progress
    edited from one worker); the leader dies half-way: the other worker takes over sending and the
    broadcast, and nobody hears it twice beyond the rows whose outcome was unknown (counted)."""
    first, second, broadcast_id, stepped = await announcement(workers, tmp_path)
    await until(lambda: len(announced(workers)) >= 40, timeout=10)
    assert stepped["w1"] and not stepped["w2"] and not second.broadcasts._runners
    edits = [name for name, chat, _ in workers.edited if chat == ADMIN]
    assert edits and set(edits) == {"w1"}, workers.edited   # progress shown, by the leader

    crash(first)
    await until(lambda: second.outbox.leader.leading, timeout=10)
    await the_broadcast_finishes(workers, second, broadcast_id)
    assert stepped["w2"] and list(second.broadcasts._runners) == [broadcast_id]
    after = [name for name, chat, _ in workers.edited[len(edits):] if chat == ADMIN]
    assert after and set(after) == {"w2"}   # the progress and the summary, from the new leader alone


async def test_a_worker_that_stops_leading_stops_its_broadcast_runner(workers, tmp_path):
    """The leader's lock is lost while the process goes on (a partition): it steps down, its runner
    ends at its next step, and the new leader runs the broadcast to the end; never two at once."""
    first, second, broadcast_id, stepped = await announcement(workers, tmp_path)
    await until(lambda: len(announced(workers)) >= 30, timeout=10)
    first.outbox.leader._lock.conn.terminate()
    await until(lambda: second.outbox.leader.leading, timeout=10)
    await until(lambda: first.broadcasts._runners[broadcast_id].done(), timeout=5)
    w1_steps = len(stepped["w1"])
    await the_broadcast_finishes(workers, second, broadcast_id)
    assert len(stepped["w1"]) == w1_steps and stepped["w2"]   # w1 ran no step once it stopped leading
