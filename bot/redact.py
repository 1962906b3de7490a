"""The bot token never reaches a log line.

The token is part of every Bot API URL, and httpx logs each request's URL; python-telegram-bot
logs its base URL at DEBUG and puts the token in the message of the error a wrong token raises.
Rather than chase each of them, every log record is scrubbed where it is made (a log record
factory, so the handlers of pytest, systemd or a file all get the clean record): its message and
its traceback, only when a secret is in them.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import quote

HIDDEN = "<bot token>"

_secrets: list[str] = []
_guard = threading.Lock()
_previous: Any = None


def hide(secret: str) -> None:
    """From now on `secret` (as written and as URL-encoded) is replaced in every log record."""
    global _previous
    if not secret:
        return
    with _guard:
        for form in (secret, quote(secret, safe="")):
            if form not in _secrets:
                _secrets.append(form)
        _secrets.sort(key=len, reverse=True)  # the longer form first: it contains the shorter
        if _previous is None:
            _previous = logging.getLogRecordFactory()
            logging.setLogRecordFactory(_record)


def scrub(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, HIDDEN)
    return text


def _record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record: logging.LogRecord = _previous(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is the handler's to report, as without us
        return record
    clean = scrub(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[0] is not None:
        shown = logging.Formatter().formatException(record.exc_info)
        clean = scrub(shown)
        if clean != shown:  # handlers print exc_text and never format the exception again
            record.exc_info, record.exc_text = None, clean
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
    return record
