"""Settings from the environment and a .env file (see .env.example)."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LANGUAGES = ("zh", "en")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # a secret: shown as ********** in any repr; the one reader is bot.app.build_application
    telegram_bot_token: SecretStr
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    frontdesk_db: str = "./frontdesk.db"   # an SQLite file, or a postgresql:// URL (storage/postgres.py)
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    timezone: str = "Asia/Shanghai"
    default_language: str = "zh"
    # service name -> number; the reply to an emergency names the right one first
    emergency_numbers: Annotated[dict[str, str], NoDecode] = {
        "ambulance": "120",
        "fire": "119",
        "police": "110",
    }
    default_grid: str = "G1"
    # a ticket the volunteer resolved and the resident never confirmed closes itself after this
    autoclose_days: float = Field(default=3.0, gt=0)
    # residents this old (from birth_year), or living alone, are flagged as vulnerable on alerts
    elderly_age: int = Field(default=70, ge=0)
    # check-ins: nobody is asked (or reminded) in these hours, on the committee's clock; "none" for never quiet
    checkin_quiet_hours: str = "22:00-07:00"
    # escalation: routine alerts wait for the end of these hours (emergency and urgent never wait); "none" for never
    alert_quiet_hours: str = "22:00-07:00"
    # new requests one person may open in an hour; past it their messages join their open request
    # and the admins hear of the flood (emergencies are never held back)
    tickets_per_hour: int = Field(default=5, ge=1)
    # how a phone number written without +country code is read (ISO 3166 region, e.g. CN, HK, GB)
    phone_region: str = "CN"
    # the raw text of every incoming message is kept this long (tickets keep their own text)
    inbox_retention_days: float = Field(default=90.0, gt=0)
    # another copy polling with our token (409 Conflict) for this long: this copy stops (0: at once)
    conflict_grace_minutes: float = Field(default=5.0, ge=0)
    # several workers on PostgreSQL: one sends; the others try to take over this often (seconds),
    # and the sender checks its lock as often, so a dead sender is replaced within about this
    sender_leader_retry_seconds: float = Field(default=2.0, gt=0, le=5.0)
    # a claimed ticket with no word from its claimant reminds them after this delay (by urgency; info
    # as routine), and after as long again goes back to the other volunteers: urgency=delay pairs
    ack_reminders: Annotated[dict[str, float], NoDecode] = {"emergency": 300.0, "urgent": 3600.0, "routine": 86400.0}
    # rosters: the evening coverage look-ahead (each grid's hours of the next 24 h with nobody on
    # duty) reaches the admins at this time, on the committee's clock
    coverage_report_at: str = "20:00"
    # micro-wishes: wishes one resident may have waiting (pending, approved or adopted) at a time
    wishes_per_resident: int = Field(default=3, ge=1)
    # /broadcast: the admin's progress message is edited this often (seconds; Telegram allows about
    # one edit a second in a private chat), and recipients are queued this many at a time
    broadcast_progress_seconds: float = Field(default=5.0, ge=1.0)
    broadcast_batch: int = Field(default=500, ge=1, le=5000)
    # /stats: the weekly report (the past week's figures and chart, who handled the most, the
    # lowest-rated tickets) reaches the admin group on this weekday and time, or "off"
    weekly_report_at: str = "mon 09:00"
    # webhook workers (`frontdesk run --webhook`, `frontdesk webhook set`): the public HTTPS URL
    # Telegram posts to (its path is the path the worker serves), the address the worker listens
    # on (behind the reverse proxy), and the secret Telegram sends in every request's
    # X-Telegram-Bot-Api-Secret-Token header; both required in webhook mode (require_webhook)
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=0, le=65535)
    webhook_secret: SecretStr | None = None

    @field_validator("telegram_bot_token")
    @classmethod
    def _check_token(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("is empty: put the token @BotFather gave you")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's own rule for secret_token: 1-256 of A-Z, a-z, 0-9, _ and -
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule), "
                             "e.g. the output of: python -c 'import secrets; print(secrets.token_urlsafe(32))'")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parsed = urlparse(value.strip())
        if parsed.scheme not in ("https", "http") or not parsed.netloc:
            raise ValueError(f"{value!r} is not a URL: write the public address, e.g. https://desk.example.org/telegram")
        return value.strip()

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(";", ",").split(",") if part.strip())
        return value

    @field_validator("emergency_numbers", mode="before")
    @classmethod
    def _parse_numbers(cls, value: object) -> object:
        if isinstance(value, str):
            pairs = [part.split("=", 1) for part in value.split(",") if part.strip()]
            if any(len(pair) != 2 or not pair[1].strip() for pair in pairs):
                raise ValueError("expected service=number pairs, e.g. ambulance=120,fire=119,police=110")
            return {name.strip(): number.strip() for name, number in pairs}
        return value

    @field_validator("ack_reminders", mode="before")
    @classmethod
    def _parse_ack(cls, value: object) -> object:
        from bot.core.followup import parse_delays
        if isinstance(value, str):
            return parse_delays(value)  # raises ValueError naming the bad pair
        return value

    @field_validator("checkin_quiet_hours", "alert_quiet_hours")
    @classmethod
    def _check_quiet(cls, value: str) -> str:
        from bot.core.checkins import Quiet
        Quiet.parse(value)  # raises ValueError with the expected form
        return value

    @field_validator("coverage_report_at")
    @classmethod
    def _check_report_at(cls, value: str) -> str:
        from bot.core.roster import format_minute, parse_time
        minute = parse_time(value)
        if minute is None:
            raise ValueError(f"{value!r} is not a time of day: write HH:MM, e.g. 20:00")
        return format_minute(minute)

    @field_validator("weekly_report_at")
    @classmethod
    def _check_weekly(cls, value: str) -> str:
        from bot.core.stats import parse_weekly
        weekly = parse_weekly(value)
        if weekly is False:
            raise ValueError(f"{value!r} is not a weekday and time: write e.g. mon 09:00, or off")
        return weekly.spec if weekly else "off"

    @field_validator("phone_region")
    @classmethod
    def _check_region(cls, value: str) -> str:
        from bot.core import is_region
        if not is_region(value.strip().upper()):
            raise ValueError(f"unknown region {value!r}: a two-letter country code such as CN, HK or GB")
        return value.strip().upper()

    @field_validator("timezone")
    @classmethod
    def _check_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_language")
    @classmethod
    def _check_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it in one line."""


def require_webhook(settings: Settings) -> tuple[str, str]:
    """Webhook mode's own settings, (public URL, secret), or a ConfigError naming the missing one."""
    if settings.webhook_secret is None:
        raise ConfigError("WEBHOOK_SECRET is required in webhook mode: the secret Telegram sends with each update "
                          "(python -c 'import secrets; print(secrets.token_urlsafe(32))')")
    if settings.webhook_url is None:
        raise ConfigError("WEBHOOK_URL is required in webhook mode: the public address Telegram posts to, "
                          "e.g. https://desk.example.org/telegram")
    return settings.webhook_url, settings.webhook_secret.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        reason = "is required" if first["type"] == "missing" else first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{name} {reason}") from None
