"""Issue #15, finding 7: sensitive answers in groups. /ticket N and /invite answered in a team or
admin group printed phone numbers and invite codes to everyone in it. Now the answer goes to the
admin's private chat and the group is told so; an admin who never opened a private chat with the
bot is asked to, and the group sees nothing sensitive."""

from __future__ import annotations

import re

from bot.devtools.emulator import Emulator
from storage import residents as residents_repo
from tests.conftest import ADMIN, GROUP, register, staffed_grid


async def _in_group(emulator: Emulator, what: str) -> str:
    found = await emulator.wait_for(
        lambda: next((m for m in emulator.chat(GROUP) if what in m.text), None), 5, f"{what!r} in the group")
    return found.text


def _group_text(emulator: Emulator) -> str:
    return "\n".join(m.text for m in emulator.chat(GROUP))


async def test_ticket_details_asked_in_a_group_go_to_the_admin_privately(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("The corridor light on my floor is out")
    await resident.next_message("#1")
    admin.send("/ticket 1", chat_id=GROUP)
    private = await admin.next_message("13800001111")           # the phone, in the admin's own chat
    assert "#1" in private.text
    await _in_group(emulator, "私信")                             # "I sent it to you privately"
    group = _group_text(emulator)
    assert "13800001111" not in group and "302" not in group and "Li Xiuying" not in group


async def test_invite_asked_in_a_group_goes_privately(frontdesk, emulator, admin):
    admin.send("/invite north", chat_id=GROUP)
    private = await admin.next_message("/join")
    code = re.search(r"/join (\w+)", private.text).group(1)      # type: ignore[union-attr]
    await _in_group(emulator, "私信")
    assert code not in _group_text(emulator) and "start=" not in _group_text(emulator)


async def test_resident_lookups_asked_in_a_group_go_privately(frontdesk, emulator, admin):
    async with frontdesk.db.transaction() as tx:
        await residents_repo.create(tx, {"name": "Zhao Min", "phone": "13800002222", "building": "7", "room": "101",
                                         "grid": "G1", "lives_alone": 1, "birth_year": 1936, "source": "import"},
                                    frontdesk.clock.now())
        await residents_repo.create(tx, {"name": "Zhao Min", "phone": "13800003333", "building": "8", "room": "502",
                                         "grid": "G1", "source": "import"}, frontdesk.clock.now())
    admin.send("/checkin missing", chat_id=GROUP)
    await admin.next_message("13800002222")
    admin.send("/checkin add Zhao Min 09:00", chat_id=GROUP)          # two of them: the list has flats
    await admin.next_message("502")
    await emulator.wait_for(lambda: sum("私信" in m.text for m in emulator.chat(GROUP)) >= 2, 5, "two notices")
    group = _group_text(emulator)
    assert "13800002222" not in group and "502" not in group and "Zhao Min" not in group


async def test_an_admin_without_a_private_chat_is_asked_to_open_one(frontdesk, emulator, admin):
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    resident.send("The corridor light on my floor is out")
    await resident.next_message("#1")
    emulator.never_started.add(ADMIN)                    # the admin never pressed Start in a private chat
    admin.send("/ticket 1", chat_id=GROUP)
    await _in_group(emulator, "t.me/frontdesk_bot")       # "open a private chat with me first", and where
    assert "13800001111" not in _group_text(emulator)
    admin.send("/invite north", chat_id=GROUP)
    await emulator.wait_for(lambda: sum("t.me/frontdesk_bot" in m.text for m in emulator.chat(GROUP)) >= 2, 5,
                            "a second notice")
    assert "/join" not in _group_text(emulator)
    admin.send("/start")                                 # now they open it, and ask again
    admin.send("/ticket 1", chat_id=GROUP)
    assert "#1" in (await admin.next_message("13800001111")).text
