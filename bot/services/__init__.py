"""Services: one unit of work per public method, in one database transaction, no Telegram types.

inbox (who is writing, the plain reply), conversation (what a text means here and now), intake
(requests become placed tickets), threads (updates, cancel, thanks on an open request), alerts
(who hears about a ticket: the alert round and the NOTICES table), escalation (the chain of steps until a claim), throttle (one person's flood), volunteering, closing (the
resident closes the loop), followup (after the claim: on my way, the ack reminder), checkins (plans, the day's questions and their alarms), checkins_desk (/elderly, /allwell, a resident's request for other times), views, corrections, duplicates (a building's problem reported twice is alerted once; /split), identity (which
account is which record: proof, link requests, phone numbers), registration, teams, vocabulary, importer,
admin_notices (about the bot itself), health (/healthz, /health and the overdue-timers auditor), stats (/stats and the weekly report).
"""

from bot.services.admin_notices import AdminNotices
from bot.services.alerts import NOTICES, Alerts
from bot.services.base import Answer
from bot.services.broadcasts import Broadcasts
from bot.services.checkins import Checkins
from bot.services.checkins_desk import CheckinDesk
from bot.services.closing import Closing
from bot.services.conversation import Conversation
from bot.services.corrections import Corrections
from bot.services.escalation import Escalation
from bot.services.followup import Followup
from bot.services.health import Health
from bot.services.identity import Identity, convert_phones
from bot.services.importer import FileError, import_residents, import_shifts, import_volunteers
from bot.services.inbox import Inbox
from bot.services.intake import Intake
from bot.services.kit import Kit
from bot.services.duplicates import Duplicates
from bot.services.people import Person, first_name_of, load_person
from bot.services.registration import Registration
from bot.services.rosters import Rosters
from bot.services.stats import Stats
from bot.services.teams import ADMIN_GROUP, Teams, parse_grids
from bot.services.threads import Threads
from bot.services.throttle import Throttle
from bot.services.views import Views
from bot.services.vocabulary import Vocabulary, export_corrections, parse_label, term_language
from bot.services.volunteering import Volunteering

__all__ = [
    "ADMIN_GROUP", "NOTICES", "AdminNotices", "Alerts", "Answer", "Broadcasts", "CheckinDesk", "Checkins", "Closing", "Conversation", "Corrections", "Escalation", "FileError", "Followup", "Health",
    "Identity", "Inbox",
    "Duplicates", "Intake", "Kit", "Person", "Registration", "Rosters", "Stats", "Teams", "Threads", "Throttle", "Views", "Vocabulary", "Volunteering",
    "convert_phones", "export_corrections", "first_name_of", "import_residents", "import_shifts", "import_volunteers", "load_person", "parse_grids",
    "parse_label", "term_language",
]
