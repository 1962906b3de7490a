"""Services: one unit of work per public method, in one database transaction, no Telegram types."""

from bot.services.conversation import Conversation
from bot.services.desk import Answer, Desk
from bot.services.importer import FileError, import_residents, import_volunteers
from bot.services.people import Person, first_name_of, load_person
from bot.services.registration import Registration
from bot.services.teams import ADMIN_GROUP, Teams, parse_grids
from bot.services.vocabulary import Vocabulary, export_corrections, parse_label, term_language

__all__ = [
    "ADMIN_GROUP", "Answer", "Conversation", "Desk", "FileError", "Person", "Registration", "Teams", "Vocabulary",
    "export_corrections", "first_name_of", "import_residents", "import_volunteers", "load_person", "parse_grids",
    "parse_label", "term_language",
]
