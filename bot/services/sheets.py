"""Spreadsheets in the chat: `/export KIND [PERIOD]` (an XLSX made from the database, always sent
to the admin's private chat: it has names, phones and flats), and `/import KIND` with the file (the
same importer as `frontdesk import`, the same report). The tables themselves are bot/core/sheets.py;
`export_records` is what the chat and the shell (`frontdesk export`) both read.

/export reads the records in the update's transaction and nothing more: the table and the XLSX
(seconds, for a year of tickets) are made after the commit in a worker thread (`asyncio.to_thread`),
and the file is queued in a transaction of its own, so every other chat is answered meanwhile.

An admin may send the file with `/import residents` as its caption, or send `/import residents` and
then the file: that wait is a row (storage/exports.py), so a restart keeps it, and it ends by itself
after IMPORT_WAIT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import periods, sheets
from bot.delivery import Lane, Renderer
from bot.services.base import Service
from bot.services.importer import FileError, Report, import_residents, import_shifts, import_volunteers, read_table
from bot.services.kit import Kit
from bot.services.people import Person
from storage import Tx, exports as repo

log = logging.getLogger(__name__)

IMPORT_WAIT = 15 * 60               # seconds an admin has to send the file after `/import KIND`
MOST_IMPORT_BYTES = 5 * 1024 * 1024  # a committee's roster is far smaller; larger is a mistake or abuse
# An import in the chat runs inside the handling of one update, which has HANDLE_TIMEOUT (60 s);
# 20,000 residents take about 10 s. A bigger file (an .xlsx compresses well) is for `frontdesk import`.
MOST_IMPORT_ROWS = 20_000
IMPORTERS = {"residents": import_residents, "volunteers": import_volunteers, "shifts": import_shifts}
READERS = {"tickets": repo.tickets, "residents": repo.residents, "volunteers": repo.volunteers, "ratings": repo.ratings}


def sheet_words(renderer: Renderer, lang: str | None) -> sheets.Words:
    """The headers, titles and cell words of one language (templates/<lang>/_sheets.j2, and the
    names of statuses, urgencies and categories from _words.j2)."""
    module = renderer.env.get_template(f"{renderer.lang(lang)}/_sheets.j2").module
    words = renderer.words(lang)
    return sheets.Words(headers=module.H, titles=module.T,
                        # a sheet's own words win: the committee reads it, not the resident ("your OK")
                        values={"status": words.S, "urgency": words.U, "category": words.C, **module.V})


async def export_records(tx: Tx, kind: str, period: periods.Period, now: float) -> list[dict[str, Any]]:
    """The records of `kind` over `period`: what /export and `frontdesk export` make their table of."""
    # a period that runs until now takes in what happened this very second too
    end = float("inf") if period.end >= now else period.end
    return await READERS[kind](tx, period.start, end)


async def export_sheet(tx: Tx, renderer: Renderer, kind: str, period: periods.Period, lang: str | None,
                       tz: str, now: float) -> sheets.Sheet:
    """The table of `kind` over `period`, headed in `lang` (the shell's export, the benchmark)."""
    return sheets.build(kind, await export_records(tx, kind, period, now), sheet_words(renderer, lang), tz)


def write_xlsx(kind: str, records: list[dict[str, Any]], words: sheets.Words, tz: str) -> tuple[int, bytes]:
    """The table and its XLSX, with its number of rows: pure work for a worker thread."""
    sheet = sheets.build(kind, records, words, tz)
    return len(sheet.rows), sheets.to_xlsx(sheet)


def file_name(kind: str, period: periods.Period, now: float, tz: str, fmt: str = "xlsx") -> str:
    day = datetime.fromtimestamp(now, ZoneInfo(tz)).strftime("%Y-%m-%d")
    return f"{kind}-{period.key}-{day}.{fmt}"


@dataclass(frozen=True)
class Document:
    """A file somebody sent, as far as the import needs it: `fetch` downloads its bytes."""

    name: str
    size: int | None
    fetch: Callable[[], Awaitable[bytes]]


@dataclass(frozen=True)
class _Export:
    """An /export whose records are read, to be written and queued after the commit."""

    person: Person
    chat_id: int
    kind: str
    period: periods.Period
    now: float
    records: list[dict[str, Any]]


class Sheets(Service):
    def __init__(self, kit: Kit) -> None:
        super().__init__(kit)
        self._writing: set[asyncio.Task[None]] = set()   # exports being written (kept from the collector)

    @property
    def renderer(self) -> Renderer:
        return self.outbox.renderer

    async def export(self, person: Person, chat_id: int, args: list[str]) -> None:
        """/export KIND [PERIOD] (admins: checked by the handler). A wrong word is answered with
        what was wrong and nothing is sent. The records are read here; the file is written after
        the commit, off the event loop (`_write`)."""
        kind = sheets.kind_of(args[0]) if args else None
        now = self.clock.now()
        tz = self.settings.timezone
        async with self.db.transaction() as tx:
            if kind is None or len(args) > 2:
                await self.outbox.say(tx, chat_id, person.lang, "export_usage", word=args[0] if args else None)
                return
            period = periods.parse(args[1] if len(args) > 1 else None, now, tz, sheets.DEFAULT_PERIOD[kind])
            if period is None:
                await self.outbox.say(tx, chat_id, person.lang, "export_bad_period", word=args[1])
                return
            records = await export_records(tx, kind, period, now)
        job = _Export(person, chat_id, kind, period, now, records)
        # after the commit, in a task of its own: the next update is not held up by the writing
        await self.db.after_commit(lambda: self._spawn(job))

    async def _spawn(self, job: _Export) -> None:
        task = asyncio.create_task(self._write(job))
        self._writing.add(task)
        task.add_done_callback(self._writing.discard)

    async def _write(self, job: _Export) -> None:
        person, tz = job.person, self.settings.timezone
        try:
            words = sheet_words(self.renderer, person.lang)
            rows, data = await asyncio.to_thread(write_xlsx, job.kind, job.records, words, tz)
            caption = self.renderer.html(person.lang, "export_caption", kind=job.kind, period=job.period, rows=rows)
            name = file_name(job.kind, job.period, job.now, tz)
            async with self.db.transaction() as tx:
                async def queue(user_id: int) -> int | None:
                    return await self.outbox.upload(tx, user_id, "document", data, name, lane=Lane.REPLY,
                                                    purpose="export", caption=caption, lang=person.lang)

                # names, phones and flats: only ever in the admin's private chat
                await self.outbox.privately(tx, job.chat_id, person.telegram_id, person.lang, queue,
                                            person.first_name)
            self.outbox.kick()
        except Exception:  # noqa: BLE001 - the admin hears it failed, and may ask again
            log.exception("/export %s for %s could not be written", job.kind, person.telegram_id)
            with contextlib.suppress(Exception):
                await self._say(person, job.chat_id, "export_failed", kind=job.kind)

    async def exports_written(self) -> None:
        """Every export being written is queued (tests, and a clean stop)."""
        while self._writing:
            await asyncio.gather(*self._writing, return_exceptions=True)

    async def ask_import(self, person: Person, chat_id: int, private: bool, args: list[str]) -> None:
        """/import KIND: wait for the file (or, with the file attached, see `receive`)."""
        async with self.db.transaction() as tx:
            if not person.is_admin:
                await self.outbox.say(tx, chat_id, person.lang, "admin_only")
            elif not private:
                await self.outbox.say(tx, chat_id, person.lang, "import_private_only")
            elif (kind := _import_kind(args)) is None:
                await self.outbox.say(tx, chat_id, person.lang, "import_usage", word=args[0] if args else None)
            else:
                await repo.wait_for_file(tx, person.telegram_id, kind, self.clock.now() + IMPORT_WAIT)
                await self.outbox.say(tx, chat_id, person.lang, "import_waiting", kind=kind,
                                      minutes=IMPORT_WAIT // 60, most=_megabytes(MOST_IMPORT_BYTES))
        self.outbox.kick()

    async def receive(self, person: Person, chat_id: int, private: bool, caption: str | None,
                      document: Document | None) -> bool:
        """A file (or, `document` None, a photo) that may be an import: with `/import KIND` as its
        caption, or from an admin the bot is waiting for. False when it is neither (the caller
        handles it as any other file)."""
        words = (caption or "").split()
        asked = bool(words) and words[0].split("@")[0].lower() == "/import"
        async with self.db.transaction() as tx:
            waiting = await repo.waiting_for(tx, person.telegram_id, self.clock.now()) if person.is_admin else None
            if not asked and waiting is None:
                return False
            kind = _import_kind(words[1:]) if asked else waiting
            word = words[1] if asked and len(words) > 1 else None
            refusal = self._refusal(person, private, word, kind, document)
            if refusal is not None:
                template, context = refusal
                await self.outbox.say(tx, chat_id, person.lang, template, **context)
                self.outbox.kick()
                return True
        assert document is not None and kind is not None
        try:
            data = await document.fetch()
        except Exception:  # noqa: BLE001 - Telegram could not give us the file: they may send it again
            log.warning("import: could not download %s", document.name, exc_info=True)
            await self._say(person, chat_id, "import_fetch_failed")
            return True
        if len(data) > MOST_IMPORT_BYTES:
            await self._say(person, chat_id, "import_refused", file=document.name, error="too_big",
                            params={"size": _megabytes(len(data)), "most": _megabytes(MOST_IMPORT_BYTES)})
            return True
        await self._import(person, chat_id, kind, document.name, data)
        return True

    def _refusal(self, person: Person, private: bool, word: str | None, kind: str | None,
                 document: Document | None) -> tuple[str, dict[str, Any]] | None:
        """Why this file is not imported (a template and its context), or None to go ahead."""
        if not person.is_admin:
            return "admin_only", {}
        if not private:
            return "import_private_only", {}
        if kind is None:
            return "import_usage", {"word": word}
        if document is None:   # a photo: the bot cannot read a picture of a sheet; the wait goes on
            return "import_not_a_file", {"kind": kind}
        if document.size is not None and document.size > MOST_IMPORT_BYTES:
            return "import_refused", {"file": document.name, "error": "too_big", "params": {
                "size": _megabytes(document.size), "most": _megabytes(MOST_IMPORT_BYTES)}}
        return None

    async def _import(self, person: Person, chat_id: int, kind: str, name: str, data: bytes) -> None:
        """The importer, as `frontdesk import` runs it; the report in the admin's language. A file
        that cannot be read changes nothing and says why."""
        report: Report | None = None
        error: FileError | None = None
        try:
            rows = len(read_table(data, kind).rows)   # read twice, but a file too long loads nothing
            if rows > MOST_IMPORT_ROWS:
                raise FileError("too_many_rows", rows=rows, most=MOST_IMPORT_ROWS)
            report = await IMPORTERS[kind](self.db, data, self.clock, self.settings.phone_region)
        except FileError as exc:
            error = exc
        async with self.db.transaction() as tx:
            if report is not None:
                await repo.stop_waiting(tx, person.telegram_id)   # done; a refused file may be sent again
                await self.outbox.say(tx, chat_id, person.lang, "import_report", report=report)
            else:
                assert error is not None
                await self.outbox.say(tx, chat_id, person.lang, "import_refused", file=name, error=error.reason,
                                      params=error.params)
        self.outbox.kick()

    async def _say(self, person: Person, chat_id: int, template: str, **context: Any) -> None:
        async with self.db.transaction() as tx:
            await self.outbox.say(tx, chat_id, person.lang, template, **context)
        self.outbox.kick()


def _import_kind(args: list[str]) -> str | None:
    return sheets.kind_of(args[0], sheets.IMPORT_KINDS) if len(args) == 1 else None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
