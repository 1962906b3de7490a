"""Pure parts of delivery (issue #15): how long a message keeps trying, why a chat is unreachable,
and which chats must wait."""

from __future__ import annotations

from bot.core import FloodControl, Limits
from bot.delivery import Lane, retry_in, unreachable_reason


def test_alerts_and_emergencies_never_give_up_on_an_outage_the_rest_do():
    assert retry_in(Lane.ALERT, 100) == 60 and retry_in(Lane.EMERGENCY, 100) == 30
    assert [retry_in(Lane.ALERT, n) for n in (1, 2, 3)] == [1, 2, 4]
    assert retry_in(Lane.UPDATE, 7) == 64 and retry_in(Lane.UPDATE, 8) is None
    assert retry_in(Lane.REPLY, 8) is None and retry_in(Lane.CHECKIN, 3) == 4


def test_why_a_chat_is_unreachable():
    assert unreachable_reason("403 Forbidden: bot was blocked by the user") == "blocked"
    assert unreachable_reason("403 Forbidden: user is deactivated") == "deactivated"
    assert unreachable_reason("403 Forbidden: bot was kicked from the group chat") == "kicked"
    assert unreachable_reason("400 Bad Request: chat not found") == "not_found"
    assert unreachable_reason("400 Bad Request: not enough rights to send text messages to the chat") == "no_rights"
    assert unreachable_reason("403 Forbidden: something new") == "other"


def test_the_chats_that_must_wait():
    now = [0.0]
    flood = FloodControl(Limits(overall=(30, 1.0), private=(1, 1.0), group=(20, 60.0)), monotonic=lambda: now[0])
    flood.record(5)
    flood.record(-100)
    flood.cool_down(7, 5)
    assert flood.waiting_chats() == {5, 7}      # 5 at its limit, 7 cooling; the group has room
    now[0] = 1.0
    assert flood.waiting_chats() == {7}
    now[0] = 5.0
    assert flood.waiting_chats() == set()
    assert flood.chat_wait(7) == 0 and flood.chat_wait(5) == 0
