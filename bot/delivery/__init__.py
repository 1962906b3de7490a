"""Delivery: the only way a message leaves the bot. The outbox engine (priority lanes, flood
limits, retries), rendering (templates per language, keyboards), fitting long replies into
messages (fit), t.me links (links), the one codec for button data, and the /stats chart (charts)."""

from bot.delivery import buttons, fit, links
from bot.delivery import charts
from bot.delivery.outbox import Lane, Outbox, backoff, retry_in, unreachable_reason
from bot.delivery.render import Button, Renderer, event_parts, reason_parts

__all__ = ["Button", "Lane", "Outbox", "Renderer", "backoff", "buttons", "event_parts", "fit", "links", "reason_parts",
           "retry_in", "unreachable_reason", "charts"]
