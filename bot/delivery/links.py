"""t.me links to the bot, built by python-telegram-bot's own helper."""

from __future__ import annotations

from telegram.helpers import create_deep_linked_url

JOIN = "join_"   # /start join_CODE: a volunteer's invite (handlers/registration.py)


def invite_link(bot_username: str | None, code: str) -> str | None:
    """https://t.me/<bot>?start=join_CODE: tapping it opens the bot and joins the team."""
    return create_deep_linked_url(bot_username, JOIN + code) if bot_username else None


def chat_link(bot_username: str | None) -> str | None:
    """https://t.me/<bot>: where a person opens their private chat with the bot."""
    return create_deep_linked_url(bot_username) if bot_username else None
