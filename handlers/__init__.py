"""Telegram updates to service calls: one module per role or flow, each with register()."""

from telegram.ext import Application

<<<<<<< HEAD
from handlers import (
    admin, checkins, errors, escalation, inbox, pages, registration, resident, roster, ticket_life, volunteer, wishes
)
=======
from handlers import admin, checkins, errors, escalation, inbox, pages, registration, resident, roster, sheets, volunteer
>>>>>>> issue12-sheets


def register_all(application: Application) -> None:
    # Order matters: the inbox records every update first; errors catches what nobody took.
<<<<<<< HEAD
    for module in (inbox, registration, volunteer, admin, escalation, checkins, roster, wishes, pages, ticket_life,
                   resident, errors):
=======
    # sheets before resident: a file captioned /import (or awaited) is an import, not a resident's file
    for module in (inbox, registration, volunteer, admin, escalation, checkins, roster, pages, sheets, resident, errors):
>>>>>>> issue12-sheets
        module.register(application)
