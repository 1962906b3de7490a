"""Issue #15, finding 15 (its last clause): the invite message lacked the t.me/<bot>?start=… link
the README promises. /invite now sends the admin a deep link (built with telegram.helpers) that a
volunteer taps to join, privately when asked in a group."""

from __future__ import annotations

import re

from tests.conftest import GROUP


def _link(text: str) -> str:
    found = re.search(r"https://t\.me/\S+", text)
    assert found, f"no t.me link in {text!r}"
    return found.group(0)


async def test_the_invite_carries_a_deep_link_that_joins_the_team(frontdesk, emulator, admin):
    admin.send("/invite north")
    invite = await admin.next_message("/join")
    code = re.search(r"/join (\w+)", invite.text).group(1)  # type: ignore[union-attr]
    link = _link(invite.text)
    assert link == f"https://t.me/frontdesk_bot?start=join_{code}"
    zhang = emulator.user(7001, "Zhang", "en")
    zhang.open_link(link)                                    # Telegram sends /start join_CODE
    assert "north" in (await zhang.next_message("Welcome to team")).text
    assert await frontdesk.value("SELECT count(*) FROM memberships") == 1


async def test_the_deep_link_asked_for_in_a_group_is_sent_privately(frontdesk, emulator, admin):
    admin.send("/invite north", chat_id=GROUP)
    invite = await admin.next_message("/join")
    link = _link(invite.text)
    await emulator.wait_for(lambda: emulator.chat(GROUP), 5, "the notice in the group")
    assert all(link not in m.text for m in emulator.chat(GROUP))
    zhang = emulator.user(7001, "Zhang", "en")
    zhang.open_link(link)
    assert "north" in (await zhang.next_message("Welcome to team")).text
