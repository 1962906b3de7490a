"""Which chat an update belongs to, from its raw JSON: the key one chat's updates are handled in
order by, across workers (bot/updates.py). Pure."""

from __future__ import annotations

import json
from typing import Any


def chat_of(raw: str | dict[str, Any] | None) -> int | None:
    """The chat of a message, an edited message or a button pressed under a message; the presser's
    own chat for a button whose message Telegram no longer says (an old one); None for anything
    else, or a body that cannot be read (it is handled on its own, with no chat's order to keep)."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    for kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
        chat = _get(data, kind, "chat", "id")
        if chat is not None:
            return chat
    query = data.get("callback_query")
    if isinstance(query, dict):
        return _get(query, "message", "chat", "id") or _get(query, "from", "id")
    return None


def _get(data: Any, *path: str) -> int | None:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data if isinstance(data, int) and not isinstance(data, bool) else None
