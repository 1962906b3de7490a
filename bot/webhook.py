"""Telegram's webhook: what a request must be to be taken (pure), the registration commands
(`frontdesk webhook set|delete|info`), and the check that long polling never runs beside a
webhook. The ASGI app and its server are in bot/webhook_server.py (the optional `webhook` extra);
nothing here needs it.

Workers never register the webhook at start: an operator does, once, with `frontdesk webhook set`
(so a worker that starts with a wrong URL cannot take the bot's updates away from the others).
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlparse

from telegram import Bot

from bot.updates import ALLOWED_UPDATES

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024   # bytes: an update is a few KB (a 4,096-character text with its entities);
#                          anything near this is not Telegram


class WebhookActive(Exception):
    """Long polling was asked to run while a webhook is set (Telegram would refuse getUpdates)."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"a webhook is set ({url}): long polling cannot run beside it; run `frontdesk webhook delete` "
            "to poll, or start the workers with `frontdesk run --webhook`")
        self.url = url


class CannotListen(Exception):
    """The worker's address (WEBHOOK_LISTEN:WEBHOOK_PORT) is taken or not this host's."""


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str


def check_secret(supplied: str | None, secret: str) -> Refusal | None:
    """The header Telegram sends with every request, compared in constant time."""
    if supplied is None:
        return Refusal(401, "no secret token")
    if not hmac.compare_digest(supplied.encode("utf-8", "surrogateescape"), secret.encode("utf-8")):
        return Refusal(403, "wrong secret token")
    return None


def read_update(body: bytes) -> tuple[int, str] | Refusal:
    """(update_id, the update as JSON to store) of a request's body, or why it is not an update:
    JSON, an object, a non-negative integer update_id and at least one object beside it (the
    message, the button press...)."""
    if len(body) > MAX_BODY:
        return Refusal(413, "too large")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return Refusal(400, "not JSON")
    if not isinstance(data, dict):
        return Refusal(400, "not an update")
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        return Refusal(400, "not an update: no update_id")
    if not any(isinstance(value, dict) for key, value in data.items() if key != "update_id"):
        return Refusal(400, "not an update: nothing in it")
    return update_id, json.dumps(data, ensure_ascii=False)


def path_of(url: str) -> str:
    """The path the worker serves: the public URL's (the reverse proxy passes it on as it is)."""
    return urlparse(url).path or "/"


async def refuse_beside_webhook(bot: Bot) -> None:
    """Long polling's start: Telegram keeps a webhook until it is deleted, and getUpdates would
    fail with 409 all along; say so once, clearly, instead of deleting what an operator set."""
    info = await bot.get_webhook_info()
    if info.url:
        raise WebhookActive(info.url)


# -- frontdesk webhook set | delete | info -----------------------------------------------------------

async def set_webhook(bot: Bot, url: str, secret: str) -> list[str]:
    await bot.set_webhook(url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES,
                          drop_pending_updates=False)
    return [f"webhook set: {url}",
            f"updates: {', '.join(ALLOWED_UPDATES)}; the secret token is set; pending updates are kept",
            "start the workers with `frontdesk run --webhook`; `frontdesk webhook info` shows Telegram's view"]


async def delete_webhook(bot: Bot) -> list[str]:
    await bot.delete_webhook(drop_pending_updates=False)
    return ["webhook deleted (pending updates are kept): `frontdesk run` (long polling) may run now"]


async def webhook_info(bot: Bot) -> list[str]:
    info = await bot.get_webhook_info()
    return info_lines(info.to_dict())


def info_lines(info: dict[str, Any]) -> list[str]:
    """getWebhookInfo in a few lines (pure)."""
    if not info.get("url"):
        lines = ["url: none (no webhook: long polling)"]
    else:
        lines = [f"url: {info['url']}"]
    lines.append(f"pending updates: {info.get('pending_update_count', 0)}")
    error = info.get("last_error_message")
    when = info.get("last_error_date")
    if error:
        stamp = (datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
                 if isinstance(when, (int, float)) else str(when))
        lines.append(f"last error: {error} ({stamp})")
    else:
        lines.append("last error: none")
    if info.get("allowed_updates"):
        lines.append(f"updates: {', '.join(info['allowed_updates'])}")
    if info.get("max_connections"):
        lines.append(f"max connections: {info['max_connections']}")
    return lines
