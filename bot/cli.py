"""The `frontdesk` command: run the bot, run the offline demo, import spreadsheets, measure triage,
export the admins' triage corrections, copy a desk into PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.config import ConfigError, load_settings

EXIT_CONFIG = 2
EXIT_ANOTHER_INSTANCE = 3  # another process holds the database, or another copy polls with the token

log = logging.getLogger("frontdesk")


def _settings(**overrides: object):  # type: ignore[no-untyped-def]
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        print(f"frontdesk: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def cmd_run(args: argparse.Namespace) -> int:
    from telegram.error import InvalidToken

    from bot.app import TOKEN_REJECTED, build_application, build_services, serve
    from bot.config import require_webhook
    from bot.instance import AlreadyRunning
    from bot.webhook import CannotListen, WebhookActive, path_of

    settings = _settings()
    server = None
    if args.webhook:
        try:
            url, secret = require_webhook(settings)
            from bot.webhook_server import WebhookServer
        except ConfigError as exc:
            print(f"frontdesk: configuration error: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        except ImportError:
            print('frontdesk: --webhook needs the webhook extra: pip install "frontdesk[webhook]"', file=sys.stderr)
            return EXIT_CONFIG
    services = build_services(settings)
    if args.webhook:
        server = WebhookServer(services, path_of(url), secret, settings.webhook_listen, settings.webhook_port)
    try:
        services.lock.acquire()  # before anything talks to Telegram or the database
    except AlreadyRunning as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        return EXIT_ANOTHER_INSTANCE
    application = build_application(services)  # the services start in its post_init
    try:
        # our update source (bot/updates.py), not run_polling: an update is confirmed to Telegram
        # only once it is in the inbox. Polling errors reach handlers/errors.on_error, which hands
        # a 409 to services.guard. With --webhook, a request is answered only once it is in the inbox.
        asyncio.run(serve(application, webhook=server))
    except InvalidToken:  # its message quotes the token: say it in our words
        print(f"frontdesk: {TOKEN_REJECTED}", file=sys.stderr)
        return EXIT_CONFIG
    except (WebhookActive, CannotListen) as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    finally:
        services.lock.release()
    if services.guard.gave_up:
        print("frontdesk: stopped: another instance is using this token (409 Conflict); the admins were told",
              file=sys.stderr)
        return EXIT_ANOTHER_INSTANCE
    return 0


def cmd_webhook(args: argparse.Namespace) -> int:
    """Telegram's webhook registration: set (WEBHOOK_URL, WEBHOOK_SECRET), delete, info."""
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError

    from bot.app import TOKEN_REJECTED
    from bot.config import require_webhook
    from bot.redact import hide
    from bot.webhook import delete_webhook, set_webhook, webhook_info

    settings = _settings()
    if args.action == "set":
        try:
            url, secret = require_webhook(settings)
        except ConfigError as exc:
            print(f"frontdesk: configuration error: {exc}", file=sys.stderr)
            return EXIT_CONFIG
    token = settings.telegram_bot_token.get_secret_value()
    hide(token)

    async def go() -> list[str]:
        async with Bot(token, base_url=settings.telegram_api_base_url) as bot:
            if args.action == "set":
                return await set_webhook(bot, url, secret)
            if args.action == "delete":
                return await delete_webhook(bot)
            return await webhook_info(bot)

    try:
        lines = asyncio.run(go())
    except InvalidToken:
        print(f"frontdesk: {TOKEN_REJECTED}", file=sys.stderr)
        return EXIT_CONFIG
    except TelegramError as exc:
        print(f"frontdesk: Telegram refused: {exc.message}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.devtools.demo import run_demo

    return asyncio.run(run_demo(verbose=args.verbose))


def cmd_import(args: argparse.Namespace) -> int:
    """Load a spreadsheet and print the report in the committee's language (DEFAULT_LANGUAGE)."""
    from bot.clock import SystemClock
    from bot.delivery import Renderer
    from bot.services import FileError, import_residents, import_shifts, import_volunteers
    from storage import Database

    settings = _settings(telegram_bot_token="unused-for-import")
    renderer = Renderer(settings.default_language)
    path = Path(args.file)

    def failed(reason: str, **params: object) -> int:
        print(renderer.text(None, "import_failed", path=path, error=reason, params=params), file=sys.stderr)
        return 1

    if not path.is_file():
        return failed("no_file")

    async def go() -> int:
        db = await Database(settings.frontdesk_db).open()
        try:
            runner = {"residents": import_residents, "volunteers": import_volunteers, "shifts": import_shifts}[args.what]
            report = await runner(db, path, SystemClock(), settings.phone_region)
        except FileError as exc:
            return failed(exc.reason, **exc.params)
        except OSError as exc:
            return failed("unexpected", detail=exc.strerror or str(exc))
        finally:
            await db.close()
        print(renderer.text(None, "import_report", report=report))
        return 0 if not report.errors else 1

    return asyncio.run(go())


def cmd_export(args: argparse.Namespace) -> int:
    """Write a spreadsheet of the database (the same table /export sends in the chat), headed in
    --lang (default: the committee's language)."""
    from bot.clock import SystemClock
    from bot.core import periods, sheets
    from bot.delivery import Renderer
    from bot.services.sheets import export_sheet, file_name
    from storage import Database

    settings = _settings(telegram_bot_token="unused-for-export")
    kind = sheets.kind_of(args.what)
    lang = args.lang or settings.default_language
    renderer = Renderer(settings.default_language)
    if kind is None:
        print(renderer.text(lang, "export_usage", word=args.what), file=sys.stderr)
        return 1
    now = SystemClock().now()
    period = periods.parse(args.period, now, settings.timezone, sheets.DEFAULT_PERIOD[kind])
    if period is None:
        print(renderer.text(lang, "export_bad_period", word=args.period), file=sys.stderr)
        return 1

    async def go() -> sheets.Sheet:
        db = await Database(settings.frontdesk_db).open()
        try:
            async with db.transaction() as tx:
                return await export_sheet(tx, renderer, kind, period, lang, settings.timezone, now)
        finally:
            await db.close()

    sheet = asyncio.run(go())
    data = sheets.write(sheet, args.format)
    output = args.output or file_name(kind, period, now, settings.timezone, args.format)
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        Path(output).write_bytes(data)
    print(f"{len(sheet.rows)} rows of {kind} ({period.key}) written to {output}", file=sys.stderr)
    return 0


def cmd_triage_eval(args: argparse.Namespace) -> int:
    from bot.core import Engine, load_lexicon
    from bot.core.triage.model import load_model
    from bot.devtools.triage_eval import evaluate

    engine = Engine(load_lexicon(), None if args.engine_only else load_model())
    metrics = evaluate(Path(args.file), sys.stdout, engine)
    return 0 if metrics["emergency_recall"] == 1.0 else 1


def cmd_triage_train(args: argparse.Namespace) -> int:
    from bot.devtools.triage_train import OUT, default_files, train

    files = [Path(f) for f in args.files] or default_files()
    train(files, sys.stdout, Path(args.output) if args.output else OUT)
    return 0


def cmd_triage_corrections(args: argparse.Namespace) -> int:
    from bot.services import export_corrections
    from storage import Database

    settings = _settings(telegram_bot_token="unused-for-export")

    async def go() -> int:
        db = await Database(settings.frontdesk_db).open()
        try:
            if args.output == "-":
                count = await export_corrections(db, sys.stdout)
            else:
                with open(args.output, "w", encoding="utf-8") as out:
                    count = await export_corrections(db, out)
        finally:
            await db.close()
        print(f"{count} corrected tickets exported", file=sys.stderr)
        return 0

    return asyncio.run(go())


def cmd_db_copy(args: argparse.Namespace) -> int:
    """A desk's SQLite file into an empty PostgreSQL database; each table's rows counted on both
    sides, and a non-zero exit when any differ."""
    from storage.copy import CopyError, copy

    try:
        counted = asyncio.run(copy(args.sqlite_path, args.postgres_url))
    except CopyError as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        return 1
    width = max(len(c.table) for c in counted)
    print(f"{'table':<{width}}  {'sqlite':>8}  {'postgres':>8}")
    for c in counted:
        print(f"{c.table:<{width}}  {c.source:>8}  {c.target:>8}{'' if c.ok else '  MISMATCH'}")
    wrong = [c.table for c in counted if not c.ok]
    if wrong:
        print(f"frontdesk: the counts differ in {', '.join(wrong)}", file=sys.stderr)
        return 1
    print(f"{len(counted)} tables, {sum(c.target for c in counted)} rows copied")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="frontdesk", description="The residents' committee front desk bot.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot (long polling, or --webhook)")
    run.add_argument("--webhook", action="store_true",
                     help="serve Telegram's webhook and /healthz on WEBHOOK_LISTEN:WEBHOOK_PORT instead of polling "
                          "(register it once with `frontdesk webhook set`)")
    run.set_defaults(func=cmd_run)
    hook = sub.add_parser("webhook", help="Telegram's webhook registration: set, delete or show it")
    hook.add_argument("action", choices=["set", "delete", "info"],
                      help="set: WEBHOOK_URL with WEBHOOK_SECRET; delete: back to long polling; info: Telegram's view")
    hook.set_defaults(func=cmd_webhook)
    demo = sub.add_parser("demo", help="run an offline scenario against the bundled Bot API emulator")
    demo.add_argument("--verbose", action="store_true", help="show the bot's log too")
    demo.set_defaults(func=cmd_demo)
    imp = sub.add_parser("import", help="import the committee's spreadsheets (CSV or Excel .xlsx)")
    imp.add_argument("what", choices=["residents", "volunteers", "shifts"])
    imp.add_argument("file")
    imp.set_defaults(func=cmd_import)
    exp = sub.add_parser("export", help="write tickets, residents, volunteers or ratings as a spreadsheet")
    exp.add_argument("what", metavar="KIND", help="tickets, residents, volunteers or ratings")
    exp.add_argument("--period", help="7d, 30d, month, YYYY-MM or all (default: 30d for tickets and ratings, "
                                      "all for residents and volunteers)")
    exp.add_argument("--format", choices=["xlsx", "csv"], default="xlsx", help="xlsx (default) or csv (UTF-8 with BOM)")
    exp.add_argument("--lang", choices=["zh", "en"], help="the headers' language (default: DEFAULT_LANGUAGE)")
    exp.add_argument("-o", "--output", help="file to write, - for standard output (default: KIND-PERIOD-DATE.FORMAT)")
    exp.set_defaults(func=cmd_export)
    triage = sub.add_parser("triage", help="measure the triage engine")
    triage_sub = triage.add_subparsers(dest="triage_command", required=True)
    ev = triage_sub.add_parser("eval", help="score a labelled JSON Lines file")
    ev.add_argument("file")
    ev.add_argument("--engine-only", action="store_true", help="the lexicon engine without the model")
    ev.set_defaults(func=cmd_triage_eval)
    tr = triage_sub.add_parser("train", help="train the model's second opinion (needs scikit-learn)")
    tr.add_argument("files", nargs="*", help="labelled JSON Lines (default: bot/devtools/triage_data/dev+extra)")
    tr.add_argument("-o", "--output", help="where to write model.json (default: the shipped one)")
    tr.set_defaults(func=cmd_triage_train)
    corrections = triage_sub.add_parser(
        "corrections", help="export the admins' corrections as labelled JSON Lines (the data set's format)")
    corrections.add_argument("-o", "--output", default="-", help="file to write (default: standard output)")
    corrections.set_defaults(func=cmd_triage_corrections)
    db = sub.add_parser("db", help="the database")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_copy = db_sub.add_parser("copy", help="copy a desk's SQLite file into an empty PostgreSQL database, counts checked")
    db_copy.add_argument("sqlite_path")
    db_copy.add_argument("postgres_url", help="postgresql://user:password@host/database")
    db_copy.set_defaults(func=cmd_db_copy)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.command == "run" else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        return int(args.func(args) or 0)
    except Exception:  # through the log, which keeps the token out of a traceback
        log.critical("frontdesk %s stopped by an error", args.command, exc_info=True)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
