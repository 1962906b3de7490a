"""Issue #15, finding 10: a group that becomes a supergroup gets a new chat id; the bot follows it.

Telegram tells the bot twice: service messages (migrate_to_chat_id in the old chat,
migrate_from_chat_id in the new one), and a refusal with `migrate_to_chat_id` for anything sent
to the old id. Either way the stored admin group follows, and what was refused is sent again.
"""

from __future__ import annotations

import asyncio

from bot.services import ADMIN_GROUP
from tests.conftest import GROUP, make_team

SUPERGROUP = -1001234567890


def sends_to(emulator, chat_id: int) -> int:
    return sum(1 for _, name, chat in emulator.calls if name == "sendMessage" and chat == chat_id)


async def _admin_group(frontdesk, emulator, admin) -> None:
    admin.send("/set_admin_group", chat_id=GROUP)
    await emulator.wait_for(lambda: emulator.chat(GROUP), 5, "the group's confirmation")


async def _stored_group(frontdesk) -> str | None:
    return await frontdesk.value("SELECT value FROM settings WHERE key = ?", (ADMIN_GROUP,))


async def _stored_group_becomes(frontdesk, chat_id: int) -> None:
    for _ in range(250):
        if await _stored_group(frontdesk) == str(chat_id):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the stored admin group is {await _stored_group(frontdesk)}, not {chat_id}")


async def _emergency(emulator, user_id: int) -> None:
    stranger = emulator.user(user_id, "Tom", "en")
    stranger.send("help, my father fell and he can't get up")
    await stranger.next_message("#")


async def test_an_upgraded_admin_group_is_followed(frontdesk, emulator, admin):
    await _admin_group(frontdesk, emulator, admin)
    emulator.migrate(GROUP, SUPERGROUP, by=admin)
    await _stored_group_becomes(frontdesk, SUPERGROUP)
    before = sends_to(emulator, GROUP)
    await _emergency(emulator, 5100)
    await emulator.wait_for(lambda: any("#1" in m.text for m in emulator.chat(SUPERGROUP)), 5,
                            "the emergency alert in the supergroup")
    assert sends_to(emulator, GROUP) == before   # straight to the new id, no refused first try


async def test_a_send_refused_with_migrate_to_chat_id_is_resent_and_followed(frontdesk, emulator, admin):
    await _admin_group(frontdesk, emulator, admin)
    emulator.migrate(GROUP, SUPERGROUP, announce=False)   # the bot missed the service messages
    await _emergency(emulator, 5100)
    await emulator.wait_for(lambda: any("#1" in m.text for m in emulator.chat(SUPERGROUP)), 5,
                            "the refused alert, sent again to the new id")
    await _stored_group_becomes(frontdesk, SUPERGROUP)
    refused = sends_to(emulator, GROUP)
    await _emergency(emulator, 5101)
    await emulator.wait_for(lambda: any("#2" in m.text for m in emulator.chat(SUPERGROUP)), 5,
                            "the next alert in the supergroup")
    assert sends_to(emulator, GROUP) == refused   # the next one went straight there


async def test_an_alert_in_the_old_group_is_followed_up_in_the_new_one(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang", "en")
    await make_team(admin, [zhang])
    await _admin_group(frontdesk, emulator, admin)
    stranger = emulator.user(5100, "Tom", "en")
    stranger.send("help, my father fell and he can't get up")
    alert = await zhang.next_message("#1")
    await emulator.wait_for(lambda: any("#1" in m.text for m in emulator.chat(GROUP)), 5, "the group's alert")
    emulator.migrate(GROUP, SUPERGROUP, by=admin)
    await asyncio.sleep(0.1)
    zhang.press(alert, "claim:1")
    await zhang.next_message("is yours now")
    # the old group's message cannot be edited any more: the new group is told who took it
    await emulator.wait_for(lambda: any("Zhang" in m.text and "#1" in m.text for m in emulator.chat(SUPERGROUP)),
                            5, "the supergroup to hear that Zhang took #1")
    await frontdesk.drain()
    assert await frontdesk.value("SELECT count(*) FROM outbox WHERE status = 'failed'") == 0
