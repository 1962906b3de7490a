"""Issue #15, finding 1: nobody takes over an imported resident's record.

A record the committee holds is linked to a Telegram account only by Telegram's own proof: a
contact shared with the "share my phone number" button, whose user_id is the sender's. A typed
number (or somebody else's contact card) links nothing and reveals nothing: the person gets the
answer anybody gets and registers as new, and the committee decides a pending link request.
"""

from __future__ import annotations

import re

from tests.conftest import ADMIN, register

# Zhao Min, as the committee imported her: her number is on the notice board, the rest is not.
ZHAO_ROW = "Zhao Min,138-0000-2222,,7,1,707,G2,zh,1,1940,Zhao Jun,13911112222,\n"
ZHAO_PHONE = "13800002222"
SECRETS = ("Zhao", "707", "13911112222", "1940", "G2")   # her name, flat, family's phone, birth year, grid


async def _import(frontdesk, tmp_path, body: str = ZHAO_ROW) -> None:
    from bot.services import import_residents

    path = tmp_path / "residents.csv"
    path.write_text("name,phone,telegram_id,building,unit,room,grid,language,lives_alone,birth_year,"
                    "emergency_contact_name,emergency_contact_phone,emergency_contact_telegram_id\n" + body,
                    encoding="utf-8")
    report = await import_residents(frontdesk.db, path, frontdesk.clock)
    assert not report.errors, report.errors


async def _to_phone_question(user, lang: str = "en") -> None:
    user.send("/start")
    choose = await user.next_message("choose a language")
    user.press(choose, f"lang:{lang}")
    await user.next_message(None)                     # language confirmation
    await user.next_message(None)                     # intro
    await user.next_message(None)                     # "share your phone number, or type it"


async def _rest_of_registration(user, name: str, asked: bool = False) -> None:
    """Every question after the phone, answered (`asked`: the name question was already read);
    ends at the "registered" message."""
    for answer in (name, "9", "3", "303"):
        if not asked:
            await user.next_message(None)
        asked = False
        user.send(answer)
    alone = await user.next_message(None)
    user.press(alone, "alone:no")
    await user.next_message(None)
    user.send("none")
    await user.next_message(name)


def _said_to(user) -> str:
    return "\n".join(m.text for m in user.messages())


def _reveals_nothing(user) -> None:
    said = _said_to(user)
    leaked = [secret for secret in SECRETS if secret in said]
    assert not leaked, f"{user.first_name} was shown {leaked}:\n{said}"


async def _zhao(frontdesk) -> dict:
    rows = await frontdesk.rows("SELECT * FROM residents WHERE name = 'Zhao Min'")
    assert len(rows) == 1, rows
    return rows[0]


def _link_requests(admin) -> list:
    return [m for m in admin.messages() if any(data.startswith("linkok:") for _, data in m.buttons)]


async def test_a_typed_number_never_links_or_reveals_an_imported_record(frontdesk, emulator, admin, tmp_path):
    """Finding 1 in its words: typing the number on the notice board links her record to the
    stranger and shows him her address, phone and emergency contact; later the real owner is refused."""
    await _import(frontdesk, tmp_path)
    tom = emulator.user(5100, "Tom", "en")        # types Zhao's number
    ann = emulator.user(5101, "Ann", "en")        # types a number nobody has: the answer to compare with
    await _to_phone_question(tom)
    tom.send("138 0000 2222")
    await _rest_of_registration(tom, "Tom Stranger")
    await _to_phone_question(ann)
    ann.send("138 0000 7777")
    await _rest_of_registration(ann, "Ann Other")
    for user in (tom, ann):
        user.send("/profile")
        await user.next_message("Your details")
    _reveals_nothing(tom)
    # the same answers, word for word, whether or not the committee has a record for the number
    def neutral(user, name, digits):
        return [re.sub(digits, "NNNN", m.text.replace(name, "NAME").replace(user.first_name, "FIRST"))
                for m in user.messages()]
    assert neutral(tom, "Tom Stranger", "2222") == neutral(ann, "Ann Other", "7777")

    zhao = await _zhao(frontdesk)
    assert zhao["telegram_id"] is None and zhao["registered_at"] is None        # not linked
    toms = await frontdesk.rows("SELECT * FROM residents WHERE telegram_id = 5100")
    assert [(r["name"], r["building"]) for r in toms] == [("Tom Stranger", "9")]   # registered as new

    # the committee sees one pending link request (Ann's number matched nobody: no request)
    await emulator.wait_for(lambda: _link_requests(admin), 5, "the link request to the admins")
    (request,) = _link_requests(admin)
    assert "Zhao Min" in request.text and "5100" in request.text
    assert await frontdesk.value("SELECT count(*) FROM link_requests WHERE status = 'pending'") == 1

    # the real owner proves her number with the button and gets her record
    zhao_user = emulator.user(5004, "Zhao", "zh")
    await _to_phone_question(zhao_user, "zh")
    zhao_user.share_contact("+8613800002222")
    linked = await zhao_user.next_message("找到您的登记信息")
    assert "Zhao Min" in linked.text
    assert (await _zhao(frontdesk))["telegram_id"] == 5004
    assert await frontdesk.value("SELECT status FROM link_requests") == "superseded"   # Tom's claim is moot
    await emulator.wait_for(lambda: "☑️" in request.text, 5, "the admins' copy to say it is settled")


async def test_somebody_elses_contact_card_never_links_a_record(frontdesk, emulator, admin, tmp_path):
    """A contact card from the address book (no user_id, or another person's) is not proof."""
    await _import(frontdesk, tmp_path)
    li = emulator.user(5001, "Li", "en")
    await register(li, name="Li Xiuying", building="5", phone="13800001111")
    tom = emulator.user(5100, "Tom", "en")
    await _to_phone_question(tom)
    tom.share_contact_of("+8613800002222", None, "Zhao Min")          # Zhao is not on Telegram
    await tom.next_message("name")                                   # taken like a typed number
    await _rest_of_registration(tom, "Tom Stranger", asked=True)
    tom.send("/profile")
    profile = await tom.next_message("Your details")
    tom.press(profile, "edit:phone")
    await tom.next_message("phone")
    tom.share_contact_of("+8613800001111", 5001, "Li")               # Li's card, with Li's user_id
    await tom.next_message("Saved")
    await tom.next_message("Your details")
    _reveals_nothing(tom)
    assert "Li Xiuying" not in _said_to(tom) and "flat 302" not in _said_to(tom)
    assert (await _zhao(frontdesk))["telegram_id"] is None
    assert await frontdesk.value("SELECT telegram_id FROM residents WHERE name = 'Li Xiuying'") == 5001
    assert await frontdesk.value("SELECT count(*) FROM residents WHERE telegram_id = 5100") == 1
    # each card went to the committee; the second number replaced the first claim
    await emulator.wait_for(lambda: len([m for m in admin.messages() if "🔗" in m.text]) == 2, 5,
                            "two link requests to the admins")
    assert await frontdesk.rows("SELECT reason, status FROM link_requests ORDER BY id") == [
        {"reason": "card", "status": "withdrawn"}, {"reason": "card", "status": "pending"}]


async def test_the_committee_approves_a_link_request(frontdesk, emulator, admin, tmp_path):
    """Approving links the imported record to the account that asked: the record keeps what the
    committee knows, the person's own answers fill only what it lacks, and their requests follow."""
    await _import(frontdesk, tmp_path,
                  "Zhao Min,138-0000-2222,,7,1,707,G2,zh,1,1940,Zhao Jun,13911112222,\n")
    zhao = emulator.user(5004, "Zhao", "en")           # the real Zhao, who typed rather than pressed
    await _to_phone_question(zhao)
    zhao.send("13800002222")
    await _rest_of_registration(zhao, "Min")
    zhao.send("The tap in my kitchen is dripping")
    await zhao.next_message("#1")
    await emulator.wait_for(lambda: _link_requests(admin), 5, "the link request")
    (request,) = _link_requests(admin)
    approve = request.button("linkok:")

    outsider = emulator.user(7001, "Zhang", "en")       # not an admin: the button is refused
    query = outsider.press(request, approve)
    assert (await outsider.answer_to(query)).get("show_alert")
    assert (await _zhao(frontdesk))["telegram_id"] is None

    admin.press(request, request.button("linkok:"))
    linked = await zhao.next_message("We found your record")
    assert "Zhao Min" in linked.text
    await emulator.wait_for(lambda: "✅" in request.text, 5, "the request to say approved")
    rows = await frontdesk.rows("SELECT * FROM residents WHERE telegram_id = 5004")
    assert len(rows) == 1 and rows[0]["name"] == "Zhao Min"                       # one record: hers
    record = rows[0]
    assert (record["building"], record["room"], record["grid"], record["birth_year"]) == ("7", "707", "G2", 1940)
    assert record["emergency_contact_name"] == "Zhao Jun" and record["registered_at"] is not None
    assert record["phone"] == "+8613800002222"
    assert await frontdesk.value("SELECT count(*) FROM residents") == 1                # the new one merged
    assert await frontdesk.value("SELECT resident_id FROM tickets WHERE id = 1") == record["id"]
    zhao.send("/profile")
    profile = await zhao.next_message("Your details")
    assert "Zhao Jun" in profile.text and "+8613800002222" in profile.text

    again = admin.press(request, approve)                         # decided once
    assert (await admin.answer_to(again)).get("show_alert")


async def test_the_committee_rejects_a_link_request_by_command(frontdesk, emulator, admin, tmp_path):
    await _import(frontdesk, tmp_path)
    tom = emulator.user(5100, "Tom", "en")
    await _to_phone_question(tom)
    tom.send("13800002222")
    await _rest_of_registration(tom, "Tom Stranger")
    await admin.next_message("🔗")                                    # the request itself
    admin.send("/links")
    listing = await admin.next_message("待处理的绑定申请")
    assert "Zhao Min" in listing.text and "5100" in listing.text
    request_id = await frontdesk.value("SELECT id FROM link_requests")
    admin.send(f"/links reject {request_id}")
    await admin.next_message(f"#{request_id}")
    assert await frontdesk.value("SELECT status FROM link_requests") == "rejected"
    assert (await _zhao(frontdesk))["telegram_id"] is None
    assert await frontdesk.value("SELECT name FROM residents WHERE telegram_id = 5100") == "Tom Stranger"
    admin.send(f"/links approve {request_id}")                         # decided once
    await admin.next_message(f"#{request_id}")
    assert (await _zhao(frontdesk))["telegram_id"] is None
    _reveals_nothing(tom)


async def test_a_phone_linked_to_another_account_is_refused_and_admins_are_told(frontdesk, emulator, admin):
    li = emulator.user(5001, "Li", "en")
    await register(li, name="Li Xiuying", building="5", phone="13800001111")     # proven by the button
    # a second Telegram account that Telegram says has the same number (a recycled SIM)
    mallory = emulator.user(5100, "Mallory", "en")
    await _to_phone_question(mallory)
    mallory.share_contact("13800001111")
    refused = await mallory.next_message(None)
    assert "committee" in refused.text
    await _rest_of_registration(mallory, "Mallory")
    # and a third who types it
    eve = emulator.user(5102, "Eve", "en")
    await _to_phone_question(eve)
    eve.send("13800001111")
    await eve.next_message("name")                                     # the answer anybody gets
    await _rest_of_registration(eve, "Eve", asked=True)
    for user in (mallory, eve):
        said = _said_to(user)
        assert "Li Xiuying" not in said and "flat 302" not in said and "13900002222" not in said
    assert await frontdesk.value("SELECT telegram_id FROM residents WHERE name = 'Li Xiuying'") == 5001
    assert await frontdesk.value("SELECT phone FROM residents WHERE name = 'Li Xiuying'") == "+8613800001111"
    await emulator.wait_for(lambda: len(_link_requests(admin)) == 2, 5, "the admins told twice")
    assert all("Li Xiuying" in m.text and "5001" in m.text for m in _link_requests(admin))


async def test_the_real_owner_takes_back_a_number_someone_typed(frontdesk, emulator, admin):
    """Nobody squats a number by typing it first: Telegram's proof wins, and admins are told."""
    eve = emulator.user(5102, "Eve", "en")
    await _to_phone_question(eve)
    eve.send("13800002222")
    await _rest_of_registration(eve, "Eve")
    zhao = emulator.user(5004, "Zhao", "en")
    await _to_phone_question(zhao)
    zhao.share_contact("+8613800002222")
    await zhao.next_message("name")                                    # not "registered to another account"
    await _rest_of_registration(zhao, "Zhao Min", asked=True)
    assert await frontdesk.value("SELECT phone FROM residents WHERE telegram_id = 5004") == "+8613800002222"
    assert await frontdesk.value("SELECT phone FROM residents WHERE telegram_id = 5102") is None
    await emulator.wait_for(lambda: any("5102" in m.text for m in admin.messages()), 5, "the admins told")


async def test_changing_ones_phone_to_an_imported_number_links_and_reveals_nothing(frontdesk, emulator, admin,
                                                                                   tmp_path):
    await _import(frontdesk, tmp_path)
    tom = emulator.user(5100, "Tom", "en")
    await register(tom, name="Tom Stranger", building="9", phone="13800005555")
    tom.send("/profile")
    profile = await tom.next_message("Your details")
    tom.press(profile, "edit:phone")
    await tom.next_message("phone")
    tom.send("13800002222")
    await tom.next_message("Saved")
    shown = await tom.next_message("Your details")
    assert "+8613800002222" in shown.text            # what anybody who changed their number sees
    _reveals_nothing(tom)
    assert (await _zhao(frontdesk))["telegram_id"] is None
    assert await frontdesk.value("SELECT name FROM residents WHERE telegram_id = 5100") == "Tom Stranger"
    await emulator.wait_for(lambda: _link_requests(admin), 5, "the link request")


async def test_an_import_never_hands_a_record_to_whoever_typed_its_number(frontdesk, emulator, admin, tmp_path):
    """The import hook: a number typed in the bot is not proof, so an imported row with that number
    is not merged into the typist's record (which would show them her address and family)."""
    eve = emulator.user(5102, "Eve", "en")
    await _to_phone_question(eve)
    eve.send("13800002222")
    await _rest_of_registration(eve, "Eve")
    await _import(frontdesk, tmp_path)
    await frontdesk.services.tick()               # a pending link reaches the admins by the next tick
    eve.send("/profile")
    shown = await eve.next_message("Your details")
    assert "+8613800002222" in shown.text
    _reveals_nothing(eve)
    assert await frontdesk.value("SELECT name FROM residents WHERE telegram_id = 5102") == "Eve"
    zhao = await _zhao(frontdesk)
    assert zhao["telegram_id"] is None and zhao["phone"] == "+8613800002222" and zhao["room"] == "707"
    await emulator.wait_for(lambda: _link_requests(admin), 5, "the link request")
    assert ADMIN in {m.chat_id for m in _link_requests(admin)}


async def test_a_new_number_withdraws_an_earlier_claim(frontdesk, emulator, admin, tmp_path):
    """Typing Zhao's number, then one's own: the first claim is withdrawn, the profile shows the new one."""
    await _import(frontdesk, tmp_path)
    tom = emulator.user(5100, "Tom", "en")
    await _to_phone_question(tom)
    tom.send("13800002222")
    await _rest_of_registration(tom, "Tom Stranger")
    await emulator.wait_for(lambda: _link_requests(admin), 5, "the link request")
    (request,) = _link_requests(admin)
    tom.send("/profile")
    profile = await tom.next_message("Your details")
    tom.press(profile, "edit:phone")
    await tom.next_message("phone")
    tom.send("13800005555")
    await tom.next_message("Saved")
    shown = await tom.next_message("Your details")
    assert "+8613800005555" in shown.text and "2222" not in shown.text
    assert await frontdesk.value("SELECT status FROM link_requests") == "withdrawn"
    await emulator.wait_for(lambda: "☑️" in request.text, 5, "the request to say withdrawn")
    assert await frontdesk.value("SELECT phone FROM residents WHERE telegram_id = 5100") == "+8613800005555"


async def test_proving_ones_number_later_links_the_record_without_the_committee(frontdesk, emulator, admin,
                                                                                 tmp_path):
    """Re-registration: Zhao typed her number (so she registered as new), then presses the button
    from /profile: Telegram's proof links her record at once, her own one merged into it."""
    await _import(frontdesk, tmp_path)
    zhao = emulator.user(5004, "Zhao", "en")
    await _to_phone_question(zhao)
    zhao.send("13800002222")
    await _rest_of_registration(zhao, "Min")
    zhao.send("/profile")
    profile = await zhao.next_message("Your details")
    zhao.press(profile, "edit:phone")
    await zhao.next_message("phone")
    zhao.share_contact("8613800002222")              # as Telegram sends it: international, no "+"
    linked = await zhao.next_message("We found your record")
    assert "Zhao Min" in linked.text and "707" in linked.text
    rows = await frontdesk.rows("SELECT * FROM residents")
    assert len(rows) == 1 and rows[0]["telegram_id"] == 5004 and rows[0]["emergency_contact_name"] == "Zhao Jun"
    assert rows[0]["phone_source"] == "import"
    assert await frontdesk.value("SELECT status FROM link_requests") == "superseded"
