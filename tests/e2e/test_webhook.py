"""Webhook workers (issue #16, part 2) and health (part 5), end to end: the real Application behind
the real webhook app, served by uvicorn on a free port; the emulator plays Telegram and POSTs each
update with the secret header, retrying until a 2xx, as Telegram does."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import sys
from pathlib import Path

import httpx
import pytest

from bot.clock import FakeClock
from bot.cli import main
from bot.devtools.emulator import TOKEN, Emulator
from bot.updates import ALLOWED_UPDATES
from bot.webhook import MAX_BODY, SECRET_HEADER, WebhookActive
from bot.webhook_server import WebhookServer
from tests.conftest import ADMIN, Frontdesk, on_postgres, stop_within
from tests.e2e.processes import BotProcess, calls

SECRET = "webhook-secret_for-tests-0123456789"
PATH = "/telegram"


class WebhookDesk(Frontdesk):
    """One webhook worker: the bot without getUpdates, and its ASGI app on a free port."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.webhook = True
        self.server: WebhookServer | None = None

    async def start(self, paused: bool = False) -> None:
        await super().start(paused)
        assert self.services is not None
        self.server = WebhookServer(self.services, PATH, SECRET, "127.0.0.1", 0)
        await self.server.start()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None
        await super().stop()

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    @property
    def base(self) -> str:
        return self.url.removesuffix(PATH)


@pytest.fixture
async def hooked(emulator: Emulator, tmp_path: Path):
    """A worker, and the webhook registered at Telegram (the operator's `frontdesk webhook set`)."""
    desk = WebhookDesk(emulator, tmp_path / "frontdesk.db", FakeClock())
    await desk.start()
    assert await desk.application.bot.set_webhook(desk.url, secret_token=SECRET, allowed_updates=ALLOWED_UPDATES)
    yield desk
    await stop_within(desk, 20.0)


def statuses(emulator: Emulator, update_id: int) -> list[int]:
    return [status for uid, status in emulator.webhook_log if uid == update_id]


async def test_a_report_through_the_webhook_gets_its_answer(hooked, emulator):
    stranger = emulator.user(5100, "Tom", "en")
    stranger.send("help, my father fell and he can't get up")
    ack = await stranger.next_message("#1")
    assert ack.text.startswith("🚨 Call 120")
    ticket = (await hooked.rows("SELECT urgency, reporter_chat_id FROM tickets WHERE id = 1"))[0]
    assert (ticket["urgency"], ticket["reporter_chat_id"]) == ("emergency", 5100)
    update_id = emulator.last_update["update_id"]
    assert statuses(emulator, update_id) == [200]
    stored = await hooked.rows("SELECT kind, handled_at FROM inbox WHERE update_id = ?", (update_id,))
    assert stored[0]["kind"] == "text" and stored[0]["handled_at"] is not None
    assert calls(emulator, "getUpdates") == 0 and calls(emulator, "setWebhook") == 1   # set by the test, never by the bot


async def test_anything_but_telegram_with_the_secret_is_refused_and_nothing_is_stored(hooked, emulator):
    update = {"update_id": 777, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"},
                                            "from": {"id": 5, "is_bot": False, "first_name": "X"}, "text": "hi"}}
    body = json.dumps(update).encode()
    good = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    async with httpx.AsyncClient() as client:
        answers = {
            "no secret": await client.post(hooked.url, content=body),
            "wrong secret": await client.post(hooked.url, content=body, headers={SECRET_HEADER: SECRET + "x"}),
            "empty secret": await client.post(hooked.url, content=body, headers={SECRET_HEADER: ""}),
            "GET": await client.get(hooked.url, headers=good),
            "not JSON": await client.post(hooked.url, content=b"update_id=777", headers=good),
            "a list": await client.post(hooked.url, content=b"[777]", headers=good),
            "no update_id": await client.post(hooked.url, content=b'{"message": {}}', headers=good),
            "nothing in it": await client.post(hooked.url, content=b'{"update_id": 777}', headers=good),
            "too large": await client.post(hooked.url, content=b" " * (MAX_BODY + 1) + body, headers=good),
        }
    assert {what: answer.status_code for what, answer in answers.items()} == {
        "no secret": 401, "wrong secret": 403, "empty secret": 403, "GET": 405, "not JSON": 400, "a list": 400,
        "no update_id": 400, "nothing in it": 400, "too large": 413}
    assert await hooked.value("SELECT count(*) FROM inbox") == 0

    # Telegram with the wrong secret (a worker restarted with a new WEBHOOK_SECRET before
    # `webhook set`): refused every time, kept at Telegram, taken once the secrets agree
    await hooked.application.bot.set_webhook(hooked.url, secret_token="another-secret")
    tom = emulator.user(5100, "Tom", "en")
    tom.send("/help")
    update_id = emulator.last_update["update_id"]
    await emulator.wait_for(lambda: len(statuses(emulator, update_id)) >= 3, 5, "three refused deliveries")
    assert set(statuses(emulator, update_id)) == {403}
    assert await hooked.value("SELECT count(*) FROM inbox") == 0 and tom.messages() == []
    info = await hooked.application.bot.get_webhook_info()
    assert info.pending_update_count == 1 and "403" in (info.last_error_message or "")
    await hooked.application.bot.set_webhook(hooked.url, secret_token=SECRET)
    await tom.next_message()
    assert statuses(emulator, update_id)[-1] == 200
    assert await hooked.value("SELECT count(*) FROM inbox") == 1


async def test_a_replayed_update_is_handled_once(hooked, emulator):
    tom = emulator.user(5100, "Tom", "en")
    tom.send("help, my father fell and he can't get up")
    await tom.next_message("#1")
    await hooked.drain()
    update = emulator.last_update
    before = len(tom.messages())
    emulator.replay(update)   # Telegram sends it again (our 200 was lost on the way)
    await emulator.wait_for(lambda: len(statuses(emulator, update["update_id"])) == 2, 5, "the replay's delivery")
    assert statuses(emulator, update["update_id"]) == [200, 200]   # taken (and dropped), so Telegram stops
    await asyncio.sleep(0.3)
    await hooked.drain()
    assert len(tom.messages()) == before
    assert await hooked.value("SELECT count(*) FROM tickets") == 1
    assert await hooked.value("SELECT count(*) FROM inbox WHERE update_id = ?", (update["update_id"],)) == 1


async def test_a_failed_write_answers_5xx_and_the_retry_is_taken(hooked, emulator, monkeypatch):
    import storage.inbox

    real = storage.inbox.store
    failures = []

    async def failing_once(tx, updates, now):
        if not failures:
            failures.append(now)
            await real(tx, updates, now)   # written, then the transaction fails: nothing is committed
            raise sqlite3.OperationalError("disk I/O error")
        return await real(tx, updates, now)

    monkeypatch.setattr(storage.inbox, "store", failing_once)
    tom = emulator.user(5100, "Tom", "en")
    tom.send("help, my father fell and he can't get up")
    await tom.next_message("#1")
    update_id = emulator.last_update["update_id"]
    assert statuses(emulator, update_id) == [500, 200]
    await hooked.drain()
    assert [m.text.startswith("🚨 Call 120") for m in tom.messages()].count(True) == 1
    assert await hooked.value("SELECT count(*) FROM tickets") == 1


async def test_one_chats_updates_are_handled_in_order(hooked, emulator, monkeypatch):
    """Three updates of one chat arrive out of order (two of Telegram's connections racing) while
    the first is being handled: they are handled in update_id order, from the inbox."""
    services = hooked.services
    handled: list[int] = []
    first_in_hand, go_on = asyncio.Event(), asyncio.Event()
    remember = services.inbox.remember

    async def recording(update_id, *args):
        handled.append(update_id)
        if update_id == 1001:
            first_in_hand.set()
            await go_on.wait()
        return await remember(update_id, *args)

    monkeypatch.setattr(services.inbox, "remember", recording)
    tom = emulator.user(5100, "Tom", "en")

    def update(update_id: int, text: str) -> bytes:
        return json.dumps({"update_id": update_id, "message": tom._message(text=text)}).encode()

    async with httpx.AsyncClient(headers={SECRET_HEADER: SECRET}) as client:
        first = asyncio.create_task(client.post(hooked.url, content=update(1001, "/help")))
        await asyncio.wait_for(first_in_hand.wait(), 5)
        third = asyncio.create_task(client.post(hooked.url, content=update(1003, "/profile")))
        await asyncio.sleep(0.1)
        second = asyncio.create_task(client.post(hooked.url, content=update(1002, "/status")))
        await asyncio.sleep(0.2)
        go_on.set()
        answers = await asyncio.gather(first, second, third)
    assert [a.status_code for a in answers] == [200, 200, 200]
    await emulator.wait_for(lambda: len(handled) == 3, 5, "three updates handled")
    assert handled == [1001, 1002, 1003]


async def test_long_polling_refuses_to_run_beside_a_webhook(emulator, tmp_path):
    await emulator._api_setWebhook({"url": "https://desk.example.org/telegram", "secret_token": SECRET})
    poller = BotProcess(emulator, tmp_path, tmp_path / "frontdesk.db", "poller")
    await poller.start()
    assert await poller.exit_code() == 2
    lines = [line for line in poller.stderr().splitlines() if line.startswith("frontdesk:")]
    assert lines == ["frontdesk: a webhook is set (https://desk.example.org/telegram): long polling cannot run "
                     "beside it; run `frontdesk webhook delete` to poll, or start the workers with "
                     "`frontdesk run --webhook`"]
    assert calls(emulator, "getUpdates") == 0 and calls(emulator, "deleteWebhook") == 0
    assert emulator.webhook_url == "https://desk.example.org/telegram"   # the operator's webhook is left alone

    # in process too: the harness's start raises before anything polls
    desk = Frontdesk(emulator, tmp_path / "other.db", FakeClock())
    with pytest.raises(WebhookActive):
        await desk.start()
    assert calls(emulator, "getUpdates") == 0


async def test_webhook_set_info_delete_against_the_emulator(emulator, monkeypatch, capsys):
    url = "https://desk.example.org/telegram"
    for name, value in {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": emulator.base_url,
                        "WEBHOOK_URL": url, "WEBHOOK_SECRET": SECRET}.items():
        monkeypatch.setenv(name, value)

    async def frontdesk(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = await asyncio.to_thread(main, list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = await frontdesk("webhook", "set")
    assert code == 0 and out.startswith(f"webhook set: {url}\n")
    assert (emulator.webhook_url, emulator.webhook_secret, emulator.webhook_allowed) == (url, SECRET, ALLOWED_UPDATES)

    emulator.user(5100, "Tom", "en").send("/help")   # no worker yet: it waits at Telegram
    await emulator.wait_for(lambda: emulator.webhook_error, 5, "a failed delivery")
    code, out, _ = await frontdesk("webhook", "info")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"url: {url}" and lines[1] == "pending updates: 1"
    assert lines[2].startswith("last error: Connection failed")
    assert "updates: message, edited_message, callback_query" in lines

    code, out, _ = await frontdesk("webhook", "delete")
    assert code == 0 and "webhook deleted" in out and emulator.webhook_url == ""
    code, out, _ = await frontdesk("webhook", "info")
    assert out.splitlines()[:3] == ["url: none (no webhook: long polling)", "pending updates: 1", "last error: none"]

    monkeypatch.delenv("WEBHOOK_SECRET")
    code, _, err = await frontdesk("webhook", "set")
    assert code == 2 and err.startswith("frontdesk: configuration error: WEBHOOK_SECRET is required in webhook mode")
    assert emulator.webhook_url == "" and calls(emulator, "setWebhook") == 1


async def test_healthz_is_healthy_then_503_with_an_overdue_timer_or_message(hooked, emulator):
    async with httpx.AsyncClient(base_url=hooked.base) as client:
        healthy = await client.get("/healthz")
        assert healthy.status_code == 200
        body = healthy.json()
        # on PostgreSQL the sender is named (one of several workers leads); SQLite's one process just sends
        leader = body["sender_leader"]
        assert leader is None if not on_postgres else (
            leader["epoch"] >= 1 and leader["this_worker"] is True and leader["worker"].count(":") == 1)
        assert {**body, "sender_leader": None} == {
            "status": "ok", "process": "up", "database": "reachable", "oldest_due_timer": None, "due_timers": 0,
            "oldest_due_outbox": None, "sender_leader": None, "overdue_after_seconds": 60.0, "problems": []}
        assert (await client.post("/healthz")).status_code == 405

        tom = emulator.user(5100, "Tom", "en")
        tom.send("help, my father fell and he can't get up")   # an emergency: its chain's next step is a timer
        await tom.next_message("#1")
        await hooked.drain()
        assert (await client.get("/healthz")).status_code == 200
        due = await hooked.value("SELECT next_action_at FROM tickets WHERE id = 1")
        hooked.clock.advance(due + 59 - hooked.clock.now())   # the tick has not run: 59 s late
        assert (await client.get("/healthz")).status_code == 200
        hooked.clock.advance(2)                       # ... now 61 s
        late = await client.get("/healthz")
        assert late.status_code == 503
        body = late.json()
        assert body["status"] == "unhealthy" and body["database"] == "reachable"
        assert body["oldest_due_timer"]["kind"] == "escalation" and body["oldest_due_timer"]["id"] == 1
        assert body["oldest_due_timer"]["overdue_seconds"] == pytest.approx(61, abs=1)
        assert body["problems"] == ["timer overdue: escalation 1, 61 s late"]

        await hooked.services.tick()                  # the tick fires it
        await hooked.drain()
        assert (await client.get("/healthz")).json()["status"] == "ok"

        hooked.services.outbox.paused = True          # the sender stops: a message waits
        tom.send("/help")
        for _ in range(100):
            if await hooked.value("SELECT count(*) FROM outbox WHERE status = 'pending'"):
                break
            await asyncio.sleep(0.05)
        assert (await client.get("/healthz")).status_code == 200
        hooked.clock.advance(61)
        stuck = await client.get("/healthz")
        assert stuck.status_code == 503 and stuck.json()["oldest_due_outbox"]["overdue_seconds"] >= 61
        hooked.services.outbox.paused = False


async def test_health_for_admins_in_the_chat(hooked, emulator):
    admin = emulator.user(ADMIN, "Wang", "en")
    admin.send("/health")
    report = await admin.next_message()
    assert report.own_lines[:2] == ["✅ 系统运行正常", "数据库：可以连接"] or report.own_lines[:2] == [
        "✅ The desk is healthy", "Database: reachable"]
    tom = emulator.user(5100, "Tom", "en")
    tom.send("/health")
    assert "committee staff" in (await tom.next_message()).text


async def test_the_auditor_warns_once_per_incident_and_says_when_it_is_over(hooked, emulator, monkeypatch):
    services = hooked.services
    admin = emulator.user(ADMIN, "Wang", "zh")
    tom = emulator.user(5100, "Tom", "en")
    tom.send("help, my father fell and he can't get up")
    await tom.next_message("#1")
    await hooked.drain()

    async def broken() -> None:
        raise sqlite3.OperationalError("a step that fails every time")

    real = services.escalation.tick
    monkeypatch.setattr(services.escalation, "tick", broken)
    await services.tick()                     # nothing overdue yet: nothing said
    due = await hooked.value("SELECT next_action_at FROM tickets WHERE id = 1")
    hooked.clock.advance(due + 61 - hooked.clock.now())   # the next step is 61 s late: the escalation step fails
    await services.tick()
    await hooked.drain()
    warned = [m for m in admin.messages() if "定时任务已超时" in m.text]
    assert len(warned) == 1 and "升级提醒 #1" in warned[0].text
    for _ in range(3):                        # the same incident: no second warning
        hooked.clock.advance(60)
        await services.tick()
    await hooked.drain()
    assert len([m for m in admin.messages() if "定时任务已超时" in m.text]) == 1

    monkeypatch.setattr(services.escalation, "tick", real)   # fixed
    await services.tick()
    await hooked.drain()
    normal = [m for m in admin.messages() if "已恢复正常" in m.text]
    assert len(normal) == 1 and "3 分钟" in normal[0].text
    hooked.clock.advance(60)
    await services.tick()
    await hooked.drain()
    assert len([m for m in admin.messages() if "已恢复正常" in m.text]) == 1
    assert await hooked.value("SELECT count(*) FROM settings WHERE key = 'health_incident'") == 0


class WorkerProcess(BotProcess):
    """`frontdesk run --webhook` as an operator starts it."""

    async def start(self) -> None:
        with open(self.log, "wb") as err:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", "--webhook", cwd=self.workdir, env=self.env,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=err)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_frontdesk_run_webhook_serves_until_sigterm(emulator, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}{PATH}"
    missing = WorkerProcess(emulator, tmp_path, tmp_path / "frontdesk.db", "nosecret", WEBHOOK_URL=url)
    await missing.start()
    assert await missing.exit_code() == 2
    assert [line for line in missing.stderr().splitlines() if line.startswith("frontdesk:")] == [
        "frontdesk: configuration error: WEBHOOK_SECRET is required in webhook mode: the secret Telegram sends "
        "with each update (python -c 'import secrets; print(secrets.token_urlsafe(32))')"]

    worker = WorkerProcess(emulator, tmp_path, tmp_path / "frontdesk.db", "worker", WEBHOOK_URL=url,
                           WEBHOOK_SECRET=SECRET, WEBHOOK_PORT=str(port))
    await worker.start()
    async with httpx.AsyncClient() as client:
        for _ in range(200):   # up when /healthz answers
            try:
                health = await client.get(f"http://127.0.0.1:{port}/healthz")
                break
            except httpx.TransportError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError(worker.stderr())
        assert health.status_code == 200 and health.json()["database"] == "reachable"
    assert calls(emulator, "setWebhook") == 0   # a worker never registers the webhook itself
    await emulator._api_setWebhook({"url": url, "secret_token": SECRET})
    tom = emulator.user(5100, "Tom", "en")
    tom.send("help, my father fell and he can't get up")
    assert (await tom.next_message("#1", timeout=10)).text.startswith("🚨 Call 120")

    taken = WorkerProcess(emulator, tmp_path, tmp_path / "other.db", "taken", WEBHOOK_URL=url,
                          WEBHOOK_SECRET=SECRET, WEBHOOK_PORT=str(port))
    await taken.start()
    assert await taken.exit_code() == 2
    assert [line for line in taken.stderr().splitlines() if line.startswith("frontdesk:")] == [
        f"frontdesk: cannot listen on 127.0.0.1:{port} (WEBHOOK_LISTEN, WEBHOOK_PORT): Address already in use"]
    assert await worker.stop() == 0, worker.stderr()
    assert calls(emulator, "getUpdates") == 0


async def test_healthz_is_503_when_the_database_does_not_answer(hooked, monkeypatch):
    import storage.health

    async def down(tx):
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(storage.health, "ping", down)
    async with httpx.AsyncClient(base_url=hooked.base) as client:
        answer = await client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["database"] == "unreachable" and answer.json()["problems"] == ["database unreachable"]
