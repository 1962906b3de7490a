"""All SQL lives here: the connection, migrations and one repository per aggregate."""

from storage.db import Database, Tx

__all__ = ["Database", "Tx"]
