"""Which chat an update belongs to (bot/core/chats.py): the key of one chat's order across workers."""

from __future__ import annotations

import json

from bot.core.chats import chat_of


def test_a_message_an_edit_and_a_button_belong_to_their_chat():
    assert chat_of(json.dumps({"update_id": 1, "message": {"chat": {"id": -100500}, "text": "hi"}})) == -100500
    assert chat_of({"update_id": 2, "edited_message": {"chat": {"id": 42}}}) == 42
    assert chat_of({"update_id": 3, "callback_query": {"from": {"id": 7}, "message": {"chat": {"id": -5}}}}) == -5


def test_a_button_under_a_message_telegram_no_longer_says_belongs_to_the_presser():
    assert chat_of({"update_id": 4, "callback_query": {"from": {"id": 7}, "data": "x"}}) == 7


def test_anything_else_belongs_to_no_chat():
    assert chat_of(None) is None
    assert chat_of("not json") is None
    assert chat_of("[1, 2]") is None
    assert chat_of({"update_id": 5, "my_chat_member": {"chat": {"id": 3}}}) is None
    assert chat_of({"update_id": 6, "message": {"chat": {"id": "3"}}}) is None   # not a number: not a key
    assert chat_of({"update_id": 7, "message": {"chat": {"id": True}}}) is None
