"""⬅️ ➡️ under a list (bot/delivery/outbox.py, Outbox.paged): the page is made again, for the
person who pressed, by the service that made the list. The button's data is never trusted: an
admin's list refuses anyone else, and a person's own list shows the presser's own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackQueryHandler

from bot.delivery import buttons
from bot.services import Answer
from handlers.common import Press, press_handler

if TYPE_CHECKING:
    from bot.app import Services
    from bot.services import Person

Show = Callable[["Services", "Person", int, int, int], Awaitable[object]]

# listing -> (only admins may turn its pages, how to show page N of it in a chat, editing a message)
LISTINGS: dict[str, tuple[bool, Show]] = {
    "status": (False, lambda s, p, chat, page, msg: s.views.status(p, chat, page, msg)),
    "mine": (False, lambda s, p, chat, page, msg: s.views.my_tickets(p, chat, page, msg)),
    # admins and grid leaders: the service checks which tickets the presser may see
    "tickets": (False, lambda s, p, chat, page, msg: s.views.ticket_list(p, chat, page, msg)),
    "teams": (True, lambda s, p, chat, page, msg: s.teams.list_teams(p, chat, page, msg)),
    "buildings": (True, lambda s, p, chat, page, msg: s.teams.list_buildings(p, chat, s.settings.default_grid,
                                                                             page, msg)),
    "keywords": (True, lambda s, p, chat, page, msg: s.vocabulary.show(p, chat, page, msg)),
    "missing": (True, lambda s, p, chat, page, msg: s.checkins.missing(p, chat, page, msg)),
    # micro-wishes: each person's own view (admin, volunteer, resident), chosen again by the service
    "wishes": (False, lambda s, p, chat, page, msg: s.wishes.listing(p, chat, page, msg)),
}


@press_handler
async def on_page(s: "Services", person: "Person", press: Press) -> "Answer | None":
    listing = LISTINGS.get(press.parts[1])
    if listing is None or press.message_id is None:
        return Answer("toast_stale_button")
    admins_only, show = listing
    if admins_only and not person.is_admin:
        return Answer("toast_admins_only", alert=True)
    answer = await show(s, person, press.chat_id, int(press.parts[2]), press.message_id)
    return answer if isinstance(answer, Answer) else None


def register(application: Application) -> None:
    application.add_handler(CallbackQueryHandler(on_page, pattern=buttons.PAGE.pattern))
