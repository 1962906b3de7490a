"""frontdesk: the front desk of a residents' committee, as a Telegram bot."""
