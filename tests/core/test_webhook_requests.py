"""What a webhook request must be to be taken, and the webhook settings (bot/webhook.py, bot/config.py): pure."""

from __future__ import annotations

import json

import pytest

from bot.config import ConfigError, load_settings, require_webhook
from bot.webhook import MAX_BODY, Refusal, check_secret, info_lines, path_of, read_update


def test_the_secret_header_is_required_and_must_match():
    assert check_secret("s3cret", "s3cret") is None
    assert check_secret(None, "s3cret") == Refusal(401, "no secret token")
    assert check_secret("", "s3cret").status == 403
    assert check_secret("s3cret ", "s3cret").status == 403
    assert check_secret("秘密", "s3cret").status == 403   # not ASCII: refused, not an exception


def test_an_update_is_an_object_with_an_update_id_and_something_in_it():
    update = {"update_id": 5, "message": {"text": "你好"}}
    assert read_update(json.dumps(update).encode()) == (5, json.dumps(update, ensure_ascii=False))
    for body in (b"", b"hello", b"\xff\xfe", b"[1]", b"5", b'{"message": {}}', b'{"update_id": "5", "message": {}}',
                 b'{"update_id": -1, "message": {}}', b'{"update_id": true, "message": {}}', b'{"update_id": 5}',
                 b'{"update_id": 5, "message": "text"}'):
        refused = read_update(body)
        assert isinstance(refused, Refusal) and refused.status == 400, body
    assert read_update(b" " * (MAX_BODY + 1)) == Refusal(413, "too large")


def test_the_worker_serves_the_public_urls_path():
    assert path_of("https://desk.example.org/telegram") == "/telegram"
    assert path_of("https://desk.example.org/bots/desk-7?x=1") == "/bots/desk-7"
    assert path_of("https://desk.example.org") == "/"


def test_webhook_info_in_a_few_lines():
    assert info_lines({"url": "", "pending_update_count": 0}) == [
        "url: none (no webhook: long polling)", "pending updates: 0", "last error: none"]
    lines = info_lines({"url": "https://d.example/t", "pending_update_count": 3, "last_error_date": 1_790_000_000,
                        "last_error_message": "Wrong response from the webhook: 503", "max_connections": 40,
                        "allowed_updates": ["message", "callback_query"]})
    assert lines == ["url: https://d.example/t", "pending updates: 3",
                     "last error: Wrong response from the webhook: 503 (2026-09-21 14:13:20 UTC)",
                     "updates: message, callback_query", "max connections: 40"]


def test_webhook_settings_are_checked_with_one_clear_line():
    settings = load_settings(telegram_bot_token="1:x", _env_file=None)
    with pytest.raises(ConfigError, match="^WEBHOOK_SECRET is required in webhook mode"):
        require_webhook(settings)
    settings = load_settings(telegram_bot_token="1:x", webhook_secret="abc-DEF_123", _env_file=None)
    with pytest.raises(ConfigError, match="^WEBHOOK_URL is required in webhook mode"):
        require_webhook(settings)
    settings = load_settings(telegram_bot_token="1:x", webhook_secret="abc-DEF_123", _env_file=None,
                             webhook_url="https://desk.example.org/telegram")
    assert require_webhook(settings) == ("https://desk.example.org/telegram", "abc-DEF_123")
    with pytest.raises(ConfigError, match="^WEBHOOK_SECRET must be 1-256 characters of A-Z"):
        load_settings(telegram_bot_token="1:x", webhook_secret="has spaces", _env_file=None)
    with pytest.raises(ConfigError, match="^WEBHOOK_URL 'desk.example.org' is not a URL"):
        load_settings(telegram_bot_token="1:x", webhook_url="desk.example.org", _env_file=None)
