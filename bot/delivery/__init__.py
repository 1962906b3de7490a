"""Delivery: the only way a message leaves the bot. The outbox engine (priority lanes, flood
limits, retries), rendering (templates per language, keyboards) and the one codec for button data."""

from bot.delivery import buttons
from bot.delivery.outbox import Lane, Outbox, backoff, retry_in, unreachable_reason
from bot.delivery.render import Button, Renderer, event_parts, reason_parts

__all__ = ["Button", "Lane", "Outbox", "Renderer", "backoff", "buttons", "retry_in", "unreachable_reason", "event_parts", "reason_parts"]
