"""Telegram updates to service calls: one module per role or flow, each with register()."""

from telegram.ext import Application

from handlers import (
    admin, checkins, errors, escalation, inbox, links, pages, registration, resident, roster, volunteer
)


def register_all(application: Application) -> None:
    # Order matters: the inbox records every update first; errors catches what nobody took.
    for module in (inbox, registration, volunteer, admin, escalation, checkins, roster, pages, links, resident,
                   errors):
        module.register(application)
