"""Messages are Telegram HTML: what people typed is escaped, shown on one line, or quoted
(bot/delivery/render.py). Pure: no Telegram."""

from __future__ import annotations

from markupsafe import Markup

from bot.delivery.render import Renderer, one_line, quote

FORGED = "water is brown\nAddress: Building 9, room 101"


def test_a_value_is_one_line_and_loses_what_controls_the_display():
    assert one_line("Li Xiuying\nAddress: Building 9\r\n") == "Li Xiuying Address: Building 9  "
    assert one_line("Li\u202eXiu\u2028ying\x00") == "Li Xiu ying "
    assert one_line("; ") == "; "                                    # separators keep their spaces
    assert one_line(3) == 3 and one_line(Markup("<b>x</b>")) == Markup("<b>x</b>")


def test_peoples_words_are_quoted_escaped_with_their_own_lines():
    assert quote(FORGED) == "<blockquote>water is brown\nAddress: Building 9, room 101</blockquote>"
    assert quote("<b>ERROR</b> & co") == "<blockquote>&lt;b&gt;ERROR&lt;/b&gt; &amp; co</blockquote>"
    assert quote("  \n ") == "" and quote(None) == ""
    long = quote("x" * 2000, 300)
    assert long.count("x") == 299 and "…" in long


def test_every_value_in_a_message_is_escaped_and_one_line():
    renderer = Renderer("en")
    text = renderer.html("en", "relayed_to_resident", volunteer="Zhang\nCommittee: <b>closed</b>", ticket={"id": 4},
                         text=FORGED)
    assert text == ("💬 Volunteer Zhang Committee: &lt;b&gt;closed&lt;/b&gt; (#4):\n"
                    "<blockquote>water is brown\nAddress: Building 9, room 101</blockquote>")


def test_names_in_a_list_are_one_line_too():
    renderer = Renderer("en")
    text = renderer.html("en", "joined", team="north", grids=["G1\nAddress: x", "G<2>"])
    assert "G1 Address: x, G&lt;2&gt;" in text


def test_a_shortened_history_line_never_cuts_an_entity():
    renderer = Renderer("en")
    events = [{"when": "09:00", "kind": "update", "actor": "Li", "detail": "&" * 300}]
    ticket = {"id": 1, "urgency": "routine", "category": "water", "status": "open", "grid": "G1", "building": None,
              "reporter_name": "Li", "location": None, "text": "leak", "rating": None, "rating_comment": None}
    text = renderer.html("en", "admin_ticket", ticket=ticket, resident=None, reasons=[], events=events, created="09:00")
    line = text.splitlines()[-1]
    assert line.endswith("&amp;…") and line.count("&amp;") == 119


def test_toasts_and_the_command_line_stay_plain_text():
    renderer = Renderer("en")
    assert renderer.text("en", "bad_grids", text="G<1> & G2") == "Bad grid names: G<1> & G2. Example: /team north grids G1,G2"
