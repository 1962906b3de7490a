"""A local Bot API emulator: the real python-telegram-bot client talks to it over HTTP.

It implements the methods frontdesk uses (getUpdates with long polling, sendMessage,
editMessageText, answerCallbackQuery, media sends, ...) and plays the people on the other
side: `emulator.user(...)` sends texts, presses buttons, shares contacts and opens t.me links.
It reads parse_mode HTML as Telegram does (the visible text and its entities; an unknown or
unclosed tag is refused; the 4,096 limit counts the visible text), so a test sees what a person
would (`Sent.text`, `Sent.quotes`, `Sent.own_lines`). It can inject faults (429 with retry_after,
5xx, a user who blocked the bot or never opened a private chat), hold a request in flight, upgrade
a group to a supergroup, and keeps a transcript. For the benchmarks it enforces Telegram's limits
(`enforce_limits`), plays Telegram's side of a webhook (setWebhook, getWebhookInfo, deleteWebhook:
updates are then POSTed to the URL with the secret header, retried until a 2xx; with
`webhook_upstreams`, to several workers in turn, as a reverse proxy would), injects random faults (`fault_rate`: half 5xx, half time-outs where the message
is delivered but the answer comes too late, so the sender cannot know), and counts the messages a
chat received twice (`duplicates`).
Used by `frontdesk demo`, the end-to-end tests and the benchmarks; never by production.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiohttp import ClientError, ClientSession, ClientTimeout, web

TOKEN = "123456:EMULATOR"
JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "entities", "scope", "link_preview_options",
               "reply_parameters", "caption_entities"}
INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "user_id", "from_chat_id"}
MEDIA = {"sendPhoto": "photo", "sendVoice": "voice", "sendVideo": "video", "sendDocument": "document"}
NO_PRIVATE_CHAT = "Forbidden: bot can't initiate conversation with a user"
# The tags of Telegram's HTML parse mode and the entity each one makes.
HTML_TAGS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
             "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "span": "spoiler",
             "tg-spoiler": "spoiler", "a": "text_link", "code": "code", "pre": "pre", "blockquote": "blockquote",
             "tg-emoji": "custom_emoji"}


@dataclass
class Sent:
    """A message the bot sent, as the chat now shows it."""

    chat_id: int
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None
    sent_at: float
    kind: str = "text"
    edits: list[str] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)   # Telegram's, offsets in UTF-16 units
    raw: str | None = None          # the text as the bot sent it (HTML when parse_mode was HTML)
    parse_mode: str | None = None
    file: bytes | None = None       # a file the bot uploaded (a chart, a spreadsheet)
    filename: str | None = None

    def _span(self, entity: dict[str, Any]) -> tuple[int, int]:
        """An entity's offsets as indices of `text` (Telegram counts UTF-16 code units)."""
        units = self.text.encode("utf-16-le")
        start = len(units[: 2 * entity["offset"]].decode("utf-16-le"))
        end = start + len(units[2 * entity["offset"]: 2 * (entity["offset"] + entity["length"])].decode("utf-16-le"))
        return start, end

    @property
    def quotes(self) -> list[str]:
        """What the message shows as quoted blocks: people's words, set apart from the bot's."""
        return [self.text[slice(*self._span(e))] for e in self.entities if "blockquote" in e["type"]]

    @property
    def shown(self) -> str:
        """The text as the transcript shows it: quoted blocks marked with │ at each line."""
        text = self.text
        for entity in sorted((e for e in self.entities if "blockquote" in e["type"]), key=lambda e: -e["offset"]):
            start, end = self._span(entity)
            text = text[:start] + "\n".join("│ " + line for line in text[start:end].split("\n")) + text[end:]
        return text

    @property
    def own_lines(self) -> list[str]:
        """The lines a person reads as the bot's own: the text outside every quoted block."""
        text = self.text
        for entity in sorted((e for e in self.entities if "blockquote" in e["type"]), key=lambda e: -e["offset"]):
            start, end = self._span(entity)
            text = text[:start] + "\n" + text[end:]
        return [line for line in text.split("\n") if line.strip()]

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of every inline button."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    def button(self, data_prefix: str) -> str:
        for _, data in self.buttons:
            if data.startswith(data_prefix):
                return data
        raise LookupError(f"no button {data_prefix!r} on message {self.message_id}: {self.buttons}")

    def as_dict(self, bot_user: dict[str, Any]) -> dict[str, Any]:
        chat = {"id": self.chat_id, "type": "private" if self.chat_id > 0 else "group"}
        if self.chat_id < 0:
            chat["title"] = "group"
        message: dict[str, Any] = {"message_id": self.message_id, "date": int(self.sent_at), "chat": chat,
                                   "from": bot_user}
        if self.kind == "text":
            message["text"] = self.text
            if self.entities:
                message["entities"] = self.entities
        else:
            message[self.kind] = _media_object(self.kind, "sent")
            if self.text:
                message["caption"] = self.text
                if self.entities:
                    message["caption_entities"] = self.entities
        if self.reply_markup:
            message["reply_markup"] = self.reply_markup
        return message


@dataclass
class Fault:
    method: str
    status: int
    description: str
    retry_after: int | None = None
    chat_id: int | None = None
    times: int = 1


def _media_object(kind: str, file_id: str) -> Any:
    unique = f"u-{file_id}"
    if kind == "photo":
        return [{"file_id": file_id, "file_unique_id": unique, "width": 640, "height": 480}]
    if kind == "sticker":
        return {"file_id": file_id, "file_unique_id": unique, "type": "regular", "width": 512, "height": 512,
                "is_animated": False, "is_video": False}
    if kind in ("voice", "audio"):
        return {"file_id": file_id, "file_unique_id": unique, "duration": 3}
    if kind == "video":
        return {"file_id": file_id, "file_unique_id": unique, "width": 640, "height": 480, "duration": 3}
    return {"file_id": file_id, "file_unique_id": unique}


class ChatUser:
    """A Telegram user on the other side of the chat, driven by a test or the demo (not the
    bot's idea of a person: that is bot.services.Person)."""

    def __init__(self, emulator: "Emulator", user_id: int, first_name: str, language_code: str | None) -> None:
        self.emulator = emulator
        self.id = user_id
        self.first_name = first_name
        self.language_code = language_code
        self.read: set[int] = set()  # indices of our chat's messages `next_message` has handed out

    @property
    def user(self) -> dict[str, Any]:
        user = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def _message(self, chat_id: int | None = None, **content: Any) -> dict[str, Any]:
        chat_id = chat_id or self.id
        if chat_id == self.id:
            self.emulator.never_started.discard(self.id)  # writing to the bot opens the private chat
        chat = ({"id": chat_id, "type": "private", "first_name": self.first_name} if chat_id > 0
                else {"id": chat_id, "type": "group", "title": "group"})
        return {"message_id": self.emulator.next_message_id(chat_id), "date": int(time.time()), "chat": chat,
                "from": self.user, **content}

    def send(self, text: str, chat_id: int | None = None) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        message = self._message(chat_id, **content)
        self.emulator.push({"message": message}, f"{self.first_name}: {text}")
        return message

    def open_link(self, url: str) -> dict[str, Any]:
        """Tap a t.me/<bot>?start=<payload> link: Telegram opens the private chat and sends /start <payload>."""
        parsed = urlparse(url)
        bot = parsed.path.strip("/")
        if parsed.netloc != "t.me" or bot != self.emulator.bot_user["username"]:
            raise AssertionError(f"{url!r} is not a link to this bot")
        payload = parse_qs(parsed.query).get("start", [""])[0]
        return self.send(f"/start {payload}".strip())

    def share_contact(self, phone: str, own: bool = True) -> None:
        contact = {"phone_number": phone, "first_name": self.first_name}
        if own:
            contact["user_id"] = self.id
        self.emulator.push({"message": self._message(contact=contact)}, f"{self.first_name}: [shares phone {phone}]")

    def share_contact_of(self, phone: str, user_id: int | None, first_name: str) -> None:
        """Share a contact card from the address book: somebody else's (Telegram sets user_id to
        that person's id when they are on Telegram, and leaves it out when they are not)."""
        contact: dict[str, Any] = {"phone_number": phone, "first_name": first_name}
        if user_id is not None:
            contact["user_id"] = user_id
        self.emulator.push({"message": self._message(contact=contact)},
                           f"{self.first_name}: [shares the contact of {first_name}, {phone}]")

    def send_media(self, kind: str, caption: str | None = None) -> None:
        content: dict[str, Any] = {kind: _media_object(kind, f"{kind}-{self.id}-{time.monotonic_ns()}")}
        if caption:
            content["caption"] = caption
        label = f"[{kind}]" + (f" {caption}" if caption else "")
        self.emulator.push({"message": self._message(**content)}, f"{self.first_name}: {label}")

    def send_document(self, data: bytes, filename: str, caption: str | None = None,
                      mime_type: str = "application/octet-stream") -> dict[str, Any]:
        """Send a file (a spreadsheet to import): the bot can fetch it with getFile."""
        file_id = f"document-{self.id}-{time.monotonic_ns()}"
        self.emulator.files[file_id] = (filename, data)
        content: dict[str, Any] = {"document": {"file_id": file_id, "file_unique_id": f"u-{file_id}",
                                                "file_name": filename, "mime_type": mime_type,
                                                "file_size": len(data)}}
        if caption:
            content["caption"] = caption
            if caption.startswith("/"):
                command = caption.split()[0]
                content["caption_entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        message = self._message(**content)
        self.emulator.push({"message": message}, f"{self.first_name}: [file {filename}]" + (f" {caption}" if caption else ""))
        return message

    def send_location(self, latitude: float, longitude: float) -> None:
        message = self._message(location={"latitude": latitude, "longitude": longitude})
        self.emulator.push({"message": message}, f"{self.first_name}: [location]")

    def edit(self, message: dict[str, Any], text: str) -> None:
        edited = {**message, "text": text, "edit_date": int(time.time())}
        self.emulator.push({"edited_message": edited}, f"{self.first_name}: [edits] {text}")

    def press(self, sent: Sent, data: str) -> str:
        """Press a button (any callback data: a test may forge one). Returns the query id."""
        query_id = str(next(self.emulator.ids))
        query = {"id": query_id, "from": self.user, "chat_instance": f"ci{sent.chat_id}",
                 "message": sent.as_dict(self.emulator.bot_user), "data": data}
        label = next((text for text, d in sent.buttons if d == data), data)
        self.emulator.push({"callback_query": query}, f"{self.first_name}: [presses {label}]")
        return query_id

    def messages(self) -> list[Sent]:
        return self.emulator.chat(self.id)

    async def next_message(self, contains: str | None = None, timeout: float = 5.0) -> Sent:
        """The next message the bot sent here that this person has not read yet."""
        def ready() -> Sent | None:
            chat = self.emulator.chat(self.id)
            for index, sent in enumerate(chat):
                if index not in self.read and (contains is None or contains in sent.text):
                    self.read.add(index)
                    return sent
            return None

        return await self.emulator.wait_for(ready, timeout, f"a message to {self.first_name} containing {contains!r}")

    async def answer_to(self, query_id: str, timeout: float = 5.0) -> dict[str, Any]:
        return await self.emulator.wait_for(lambda: self.emulator.answers.get(query_id), timeout,
                                            f"the answer to callback {query_id}")


class Emulator:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.bot_user = {"id": 999000, "is_bot": True, "first_name": "Front Desk", "username": "frontdesk_bot",
                         "can_join_groups": True, "can_read_all_group_messages": False,
                         "supports_inline_queries": False}
        self.ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self.pending: list[dict[str, Any]] = []
        self.replays: list[dict[str, Any]] = []   # delivered once more whatever the offset
        self.last_update: dict[str, Any] = {}
        self.chats: dict[int, list[Sent]] = {}
        self.answers: dict[str, dict[str, Any]] = {}
        self.transcript: list[str] = []
        self.calls: list[tuple[float, str, int | None]] = []   # (monotonic time, method, chat)
        self.faults: list[Fault] = []
        self.blocked: set[int] = set()
        self.never_started: set[int] = set()   # users who never opened a private chat with the bot
        self.migrated: dict[int, int] = {}   # a group upgraded to a supergroup: old id -> new id
        self.holds: list[tuple[str, int | None, asyncio.Event]] = []
        self.enforce_limits = False     # benchmarks: answer 429 past Telegram's limits, and count them
        self.throttled = 0
        self.fault_rate = 0.0           # benchmarks: this share of sends fails at random (see the module text)
        self.hang = 6.0                 # seconds a timed-out send's answer takes (past the client's time-out)
        self.random = random.Random(13)
        self.injected = {"5xx": 0, "timeout": 0}
        self._seen: set[tuple[int, str]] = set()
        self.duplicates = 0             # sends of a text a chat had received already
        self.duplicate_chats: set[int] = set()
        self._recent: list[float] = []
        self._recent_by_chat: dict[int, list[float]] = {}
        self.on_transcript: Callable[[str], None] | None = None
        self.files: dict[str, tuple[str, bytes]] = {}   # what users sent, by file_id: (name, bytes)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        # the webhook, as Telegram keeps it: while a URL is set, updates are POSTed there one at a
        # time in order (a non-2xx answer or no answer: the same update again after a pause that
        # grows from `webhook_retry` to a second), and getUpdates is refused with 409
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_allowed: list[str] | None = None
        self.webhook_error: tuple[int, str] | None = None   # (date, message) of the last failed delivery
        self.webhook_log: list[tuple[int, int]] = []        # (update_id, HTTP status or 0) of every POST
        self.webhook_seconds: list[float] = []               # how long each POST took to be answered
        self.webhook_retry = 0.05
        # the reverse proxy's part, played here (tests and benchmarks have no nginx): with upstreams
        # set, each POST goes to the next of them in turn (nginx's default round-robin) instead of
        # to the registered URL, and a failed POST is retried, like any, on the next one
        self.webhook_upstreams: list[str] = []
        self.webhook_by_upstream: dict[str, list[int]] = {}   # upstream -> HTTP status (or 0) of each POST
        self._next_upstream = 0
        self._deliverer: asyncio.Task[None] | None = None

    # -- server ---------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sockets = site._server.sockets  # type: ignore[union-attr]
        self.base_url = f"http://{host}:{sockets[0].getsockname()[1]}/bot"
        return self.base_url

    async def stop(self) -> None:
        self.webhook_url = ""
        if self._deliverer is not None:
            self._deliverer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._deliverer
            self._deliverer = None
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- people and groups ------------------------------------------------------------------------

    def user(self, user_id: int, first_name: str, language_code: str | None = None) -> ChatUser:
        return ChatUser(self, user_id, first_name, language_code)

    def next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def push(self, payload: dict[str, Any], line: str) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **payload}
        self.pending.append(update)
        self.last_update = update
        self._say(line)
        asyncio.get_running_loop().create_task(self._notify())
        return update

    def replay(self, update: dict[str, Any]) -> None:
        """Deliver an update again with the same update_id (as Telegram does after a crash
        that happened before the offset was confirmed)."""
        self.replays.append(update)
        asyncio.get_running_loop().create_task(self._notify())

    def chat(self, chat_id: int) -> list[Sent]:
        return self.chats.setdefault(chat_id, [])

    def fail(self, method: str, status: int, description: str, *, retry_after: int | None = None,
             chat_id: int | None = None, times: int = 1) -> None:
        self.faults.append(Fault(method, status, description, retry_after, chat_id, times))

    def hold(self, method: str, chat_id: int | None = None) -> asyncio.Event:
        """The next such request waits, in flight, until the returned event is set (a slow
        network: what the bot does meanwhile must not be undone when the answer comes)."""
        release = asyncio.Event()
        self.holds.append((method, chat_id, release))
        return release

    def migrate(self, old_chat_id: int, new_chat_id: int, by: ChatUser | None = None, announce: bool = True) -> None:
        """The group becomes a supergroup with a new id: from now on every call with the old id is
        refused with `migrate_to_chat_id`, as Telegram does. With `announce`, the bot gets both
        service messages (migrate_to_chat_id in the old chat, migrate_from_chat_id in the new)."""
        self.migrated[old_chat_id] = new_chat_id
        if not announce:
            return
        sender = {"from": by.user} if by else {}
        for chat, field_name, value, kind in ((old_chat_id, "migrate_to_chat_id", new_chat_id, "group"),
                                              (new_chat_id, "migrate_from_chat_id", old_chat_id, "supergroup")):
            message = {"message_id": self.next_message_id(chat), "date": int(time.time()),
                       "chat": {"id": chat, "type": kind, "title": "group"}, **sender, field_name: value}
            self.push({"message": message}, f"[group {old_chat_id} is now supergroup {new_chat_id}]")

    def _say(self, line: str) -> None:
        self.transcript.append(line)
        if self.on_transcript:
            self.on_transcript(line)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, ready: Callable[[], Any], timeout: float, what: str) -> Any:
        async def loop() -> Any:
            async with self._changed:
                while True:
                    result = ready()
                    if result:
                        return result
                    await self._changed.wait()

        try:
            return await asyncio.wait_for(loop(), timeout)
        except TimeoutError:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None

    # -- the Bot API ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        chat_id = params.get("chat_id") if isinstance(params.get("chat_id"), int) else None
        self.calls.append((time.monotonic(), method, chat_id))
        for hold in list(self.holds):
            if hold[0] == method and hold[1] in (None, chat_id):
                self.holds.remove(hold)
                await hold[2].wait()
                break
        if chat_id in self.migrated:
            return _error(400, "Bad Request: group chat was upgraded to a supergroup chat",
                          parameters={"migrate_to_chat_id": self.migrated[chat_id]})
        fault = self._fault(method, chat_id) or self._over_limit(method, chat_id)
        if fault is not None:
            return _error(fault.status, fault.description, fault.retry_after)
        handler = getattr(self, "_api_" + method, None)
        if handler is None:
            return _error(400, f"Bad Request: method {method} is not emulated")
        injected = None
        if self.fault_rate and method.startswith("send") and self.random.random() < self.fault_rate:
            injected = self.random.choice(("5xx", "timeout"))
            self.injected[injected] += 1
            if injected == "5xx":
                return _error(502, "Bad Gateway")
        try:
            result = await handler(params)
        except _ApiError as exc:
            return _error(exc.status, exc.description)
        if injected == "timeout":   # delivered, but the answer arrives after the client gave up
            await asyncio.sleep(self.hang)
        return web.json_response({"ok": True, "result": result})

    def _over_limit(self, method: str, chat_id: int | None) -> Fault | None:
        """With `enforce_limits`, Telegram's documented limits: about 30 messages a second in all
        and one a second per private chat (a short burst allowed); past them, a 429."""
        if not self.enforce_limits or not method.startswith(("send", "edit")) or chat_id is None:
            return None
        now = time.monotonic()
        sends = [t for t in self._recent if now - t < 1.0]
        per_chat = [t for t in self._recent_by_chat.get(chat_id, []) if now - t < 1.0]
        if len(sends) >= 30 or len(per_chat) >= 3:
            self.throttled += 1
            return Fault(method, 429, "Too Many Requests: retry after 1", retry_after=1)
        self._recent = sends + [now]
        self._recent_by_chat[chat_id] = per_chat + [now]
        return None

    def _fault(self, method: str, chat_id: int | None) -> Fault | None:
        if chat_id is not None and chat_id in self.blocked and method not in ("getUpdates",):
            return Fault(method, 403, "Forbidden: bot was blocked by the user")
        if chat_id is not None and chat_id in self.never_started and method not in ("getUpdates",):
            return Fault(method, 403, NO_PRIVATE_CHAT)
        for fault in self.faults:
            if fault.method == method and fault.chat_id in (None, chat_id) and fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return fault
        return None

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return self.bot_user

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _ApiError(400, "Bad Request: secret token contains unallowed characters")
        if url and not url.startswith(("https://", "http://")):
            raise _ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self.pending, self.replays = [], []
        self.webhook_url, self.webhook_secret = url, (str(secret) if secret is not None else None)
        self.webhook_allowed = params.get("allowed_updates")
        self.webhook_error = None
        if url and (self._deliverer is None or self._deliverer.done()):
            self._deliverer = asyncio.get_running_loop().create_task(self._deliver())
        self._say(f"[webhook set: {url}]" if url else "[webhook deleted]")
        await self._notify()
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self.pending, self.replays = [], []
        if self.webhook_url:
            self._say("[webhook deleted]")
        self.webhook_url, self.webhook_secret, self.webhook_allowed = "", None, None
        await self._notify()
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        info: dict[str, Any] = {"url": self.webhook_url, "has_custom_certificate": False,
                                "pending_update_count": len(self.pending) + len(self.replays)}
        if self.webhook_url:
            info["max_connections"] = 40
            if self.webhook_allowed:
                info["allowed_updates"] = self.webhook_allowed
            if self.webhook_error:
                info["last_error_date"], info["last_error_message"] = self.webhook_error
        return info

    async def _deliver(self) -> None:
        """Telegram's side of a webhook: the oldest update (a replay first) is POSTed with the
        secret header; only a 2xx answer lets the next one go."""
        pause = self.webhook_retry
        async with ClientSession(timeout=ClientTimeout(total=30)) as session:
            while self.webhook_url:
                def ready() -> tuple[str, dict[str, Any]] | None:
                    if not self.webhook_url:
                        return ("stop", {})
                    queue = self.replays or self.pending
                    return ("post", queue[0]) if queue else None

                try:
                    what, update = await self.wait_for(ready, 3600.0, "an update to post")
                except AssertionError:
                    continue
                if what == "stop":
                    return
                headers = {"Content-Type": "application/json"}
                if self.webhook_secret is not None:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook_secret
                target = self.webhook_url
                if self.webhook_upstreams:
                    target = self.webhook_upstreams[self._next_upstream % len(self.webhook_upstreams)]
                    self._next_upstream += 1
                posted = time.perf_counter()
                try:
                    async with session.post(target, data=json.dumps(update), headers=headers) as answer:
                        status, reason = answer.status, answer.reason or ""
                except (ClientError, TimeoutError, OSError) as exc:
                    status, reason = 0, f"Connection failed: {type(exc).__name__}"
                if self.webhook_upstreams:
                    self.webhook_by_upstream.setdefault(target, []).append(status)
                self.webhook_seconds.append(time.perf_counter() - posted)
                self.webhook_log.append((update["update_id"], status))
                if 200 <= status < 300:
                    for queue in (self.replays, self.pending):
                        if queue and queue[0] is update:
                            queue.pop(0)
                            break
                    pause = self.webhook_retry
                    await self._notify()
                    continue
                self.webhook_error = (int(time.time()), f"Wrong response from the webhook: {status} {reason}".strip()
                                      if status else reason)
                await self._notify()
                await asyncio.sleep(pause)
                pause = min(1.0, pause * 2)

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_deleteMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        """Like Telegram: an update stays queued until a later call's offset confirms it, so a
        long poll the client abandoned (a crash, a restart) loses nothing."""
        if self.webhook_url:
            raise _ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                 "use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        self.pending = [u for u in self.pending if u["update_id"] >= offset]

        def ready() -> list[dict[str, Any]]:
            return [u for u in self.pending if u["update_id"] >= offset][:limit] + self.replays[:limit]

        if not ready() and timeout > 0:
            try:
                await self.wait_for(ready, timeout, "updates")
            except AssertionError:
                return []
        batch = ready()[:limit]
        self.replays = [u for u in self.replays if u not in batch]
        return batch

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        return await self._add(params, str(params.get("text") or ""), "text")

    async def _add(self, params: dict[str, Any], raw: str, kind: str) -> Any:
        chat_id = int(params["chat_id"])
        text, entities = _parse(raw, params.get("parse_mode"), 4096 if kind == "text" else 1024)
        if kind == "text" and not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        sent = Sent(chat_id, self.next_message_id(chat_id), text, params.get("reply_markup"), time.time(), kind,
                    entities=entities, raw=raw, parse_mode=params.get("parse_mode"))
        upload = params.get("_files", {}).get(kind)
        if upload is not None:
            sent.filename, sent.file = upload
        if sent.reply_markup and "inline_keyboard" not in sent.reply_markup:
            sent.reply_markup = None  # reply keyboards live under the text field, not on the message
        self.chat(chat_id).append(sent)
        if (chat_id, raw) in self._seen:
            self.duplicates += 1
            self.duplicate_chats.add(chat_id)
        self._seen.add((chat_id, raw))
        shown = sent.shown if kind == "text" else f"[{kind}] {sent.shown}"
        buttons = "  " + " ".join(f"[{label}]" for label, _ in sent.buttons) if sent.buttons else ""
        self._say(f"  bot -> {chat_id}: {shown}{buttons}")
        await self._notify()
        return sent.as_dict(self.bot_user)

    def _find(self, params: dict[str, Any]) -> Sent:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        for sent in self.chat(chat_id):
            if sent.message_id == message_id:
                return sent
        raise _ApiError(400, "Bad Request: message to edit not found")

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        sent = self._find(params)
        raw = str(params.get("text") or "")
        text, entities = _parse(raw, params.get("parse_mode"), 4096)
        markup = params.get("reply_markup")
        if text == sent.text and entities == sent.entities and markup == sent.reply_markup:
            raise _ApiError(400, "Bad Request: message is not modified")
        sent.edits.append(sent.text)
        sent.text, sent.entities, sent.reply_markup = text, entities, markup
        sent.raw, sent.parse_mode = raw, params.get("parse_mode")
        self._say(f"  bot edits {sent.chat_id}#{sent.message_id}: {sent.shown}")
        await self._notify()
        return sent.as_dict(self.bot_user)

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        sent = self._find(params)
        sent.reply_markup = params.get("reply_markup")
        await self._notify()
        return sent.as_dict(self.bot_user)

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        self.answers[str(params["callback_query_id"])] = {
            "text": params.get("text"), "show_alert": params.get("show_alert") in (True, "true", "True")}
        if params.get("text"):
            self._say(f"  bot (toast): {params['text']}")
        await self._notify()
        return True

    async def _api_getFile(self, params: dict[str, Any]) -> Any:
        file_id = str(params.get("file_id") or "")
        if file_id not in self.files:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": len(self.files[file_id][1]),
                "file_path": f"documents/{file_id}"}

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        found = self.files.get(request.match_info["path"].rsplit("/", 1)[-1])
        if found is None:
            return web.Response(status=404)
        return web.Response(body=found[1], content_type="application/octet-stream")

    async def _api_sendPhoto(self, params: dict[str, Any]) -> Any:
        return await self._add(params, str(params.get("caption") or ""), "photo")

    async def _api_sendVoice(self, params: dict[str, Any]) -> Any:
        return await self._add(params, str(params.get("caption") or ""), "voice")

    async def _api_sendVideo(self, params: dict[str, Any]) -> Any:
        return await self._add(params, str(params.get("caption") or ""), "video")

    async def _api_sendDocument(self, params: dict[str, Any]) -> Any:
        return await self._add(params, str(params.get("caption") or ""), "document")


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Html(HTMLParser):
    """Telegram's HTML parse mode: the visible text and its entities; an unknown tag, a tag left
    open or closed out of turn, or a quote inside a quote is refused as Telegram refuses it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.at = 0
        self.open: list[tuple[str, int, dict[str, str | None]]] = []
        self.entities: list[dict[str, Any]] = []

    @staticmethod
    def refuse(why: str) -> _ApiError:
        return _ApiError(400, f"Bad Request: can't parse entities: {why}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_TAGS:
            raise self.refuse(f'Unsupported start tag "{tag}"')
        if tag == "blockquote" and any(name == "blockquote" for name, _, _ in self.open):
            raise self.refuse("Can't nest blockquote entities")
        self.open.append((tag, self.at, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise self.refuse(f'Unsupported start tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            raise self.refuse(f'Unmatched end tag "{tag}"')
        _, start, attrs = self.open.pop()
        if self.at > start:
            kind = HTML_TAGS[tag]
            if tag == "blockquote" and "expandable" in attrs:
                kind = "expandable_blockquote"
            entity: dict[str, Any] = {"type": kind, "offset": start, "length": self.at - start}
            if tag == "a":
                entity["url"] = attrs.get("href") or ""
            self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.at += _utf16(data)


def _parse(raw: str, parse_mode: Any, limit: int) -> tuple[str, list[dict[str, Any]]]:
    """What the reader sees (text and entities) of a text sent with `parse_mode`; Telegram's
    length limit counts the visible text, in UTF-16 code units."""
    if parse_mode in (None, ""):
        text, entities = raw, []
    elif str(parse_mode).upper() == "HTML":
        parser = _Html()
        parser.feed(raw)
        parser.close()
        if parser.open:
            raise _Html.refuse(f'Can\'t find end tag corresponding to start tag "{parser.open[-1][0]}"')
        text, entities = "".join(parser.parts), sorted(parser.entities, key=lambda e: e["offset"])
    else:
        raise _ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode}")
    if _utf16(text) > limit:
        raise _ApiError(400, "Bad Request: message is too long" if limit == 4096 else
                        "Bad Request: message caption is too long")
    return text, entities


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _error(status: int, description: str, retry_after: int | None = None,
           parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        parameters = {**(parameters or {}), "retry_after": retry_after}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        raw: dict[str, Any] = await request.json()
    else:
        form = await request.post()
        raw = {key: value for key, value in form.items() if isinstance(value, str)}
        # an uploaded file: PTB names the part by a random id and the field by "attach://<id>"
        parts = {key: (value.filename, value.file.read()) for key, value in form.items()
                 if isinstance(value, web.FileField)}
        files = {key: parts[value.removeprefix("attach://")] for key, value in raw.items()
                 if value.startswith("attach://") and value.removeprefix("attach://") in parts}
        files.update({key: value for key, value in parts.items() if key in MEDIA.values()})
        if files:
            raw["_files"] = files  # type: ignore[assignment]
    params: dict[str, Any] = {**request.query, **raw}
    for key in list(params):
        value = params[key]
        if key in JSON_FIELDS and isinstance(value, str):
            params[key] = json.loads(value)
        elif key in INT_FIELDS and isinstance(value, str):
            try:
                params[key] = int(value)
            except ValueError:
                pass
    return params
