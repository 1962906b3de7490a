"""Telegram updates to service calls: one module per role or flow, each with register()."""

from telegram.ext import Application

from handlers import (
    admin, broadcast, checkins, duplicates, errors, escalation, health, inbox, pages, registration, resident, roster, sheets,
    stats, ticket_life, volunteer, wishes,
)


def register_all(application: Application) -> None:
    # Order matters: the inbox records every update first; errors catches what nobody took.
    # sheets before resident: a file captioned /import (or awaited) is an import, not a resident's file;
    # ticket_life before resident: a text a 💬 Message window waits for is relayed, not a new report
    for module in (inbox, registration, volunteer, admin, broadcast, escalation, health, checkins, roster, stats, wishes, pages,
                   duplicates, sheets, ticket_life, resident, errors):
        module.register(application)
