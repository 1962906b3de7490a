"""Pure parts of delivery (issue #15): which chats must wait."""

from __future__ import annotations

from bot.core import FloodControl, Limits


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
