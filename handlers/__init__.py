"""Telegram updates to service calls: one module per role or flow, each with register()."""

from telegram.ext import Application

from handlers import admin, broadcast, checkins, errors, escalation, inbox, pages, registration, resident, roster, volunteer


def register_all(application: Application) -> None:
    # Order matters: the inbox records every update first; errors catches what nobody took.
    for module in (inbox, registration, volunteer, admin, broadcast, escalation, checkins, roster, pages, resident, errors):
        module.register(application)
