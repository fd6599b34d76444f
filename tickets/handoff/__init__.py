"""The hand-off: what other systems and people are sent about a ticket (e-mail to callers)."""
