"""Errors the ticket core raises. Each names the field or rule, in words fit for an agent."""

from __future__ import annotations


class DeskError(Exception):
    """Base of every error the core raises on purpose: its text is safe to show."""

    def __init__(self, message: str, *, rule: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.field = field
        self.database_context: str | None = None  # the database function that refused (tickets.store.calls)
        self.database_text: str | None = None  # its words as it said them, in English (tickets.store.calls)

    def __str__(self) -> str:
        return self.message


class StoreUnavailable(DeskError):
    """The database cannot be reached or answered with a lock timeout."""


class SchemaOutOfDate(DeskError):
    """The database schema is behind (or ahead of) this version of deskapp."""


class NotFound(DeskError):
    pass


class NotAllowed(DeskError):
    """A rule refuses the action (policy, lifecycle, roles, four eyes, lockout)."""


class Conflict(DeskError):
    """Someone else got there first (C-9, T-3 clash, a concurrent review decision)."""


class InvalidInput(DeskError):
    """Bad input: the message names the field and the rule."""

    def __init__(self, errors: dict[str, str] | list[str] | str, *, rule: str | None = None):
        if isinstance(errors, str):
            errors = [errors]
        self.errors = errors
        if isinstance(errors, dict):
            text = "; ".join(f"{k}: {v}" for k, v in errors.items())
        else:
            text = "; ".join(errors)
        super().__init__(text, rule=rule)
