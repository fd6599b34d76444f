"""Writes through the database's functions (PostgreSQL, migration 0011; tickets.store.pgsql).

One function call is one statement, sent in autocommit: the function's own transaction, one
round trip, retried on a deadlock or a serialisation failure as the store's transactions are.
The functions refuse with deskapp's own SQLSTATEs, turned back here into the errors the rest of
the core raises, with the function's words (they name the rule):

    DK401 the session is not good      NotAllowed (rule "session")
    DK403 a rule refuses               NotAllowed (the rule its words begin with)
    DK404 not found                    NotFound
    DK409 someone else got there first Conflict
    DK422 a value is malformed         InvalidInput (the field its words begin with)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

from tickets.errors import Conflict, DeskError, InvalidInput, NotAllowed, NotFound
from tickets.i18n import _, current_language
from tickets.store.database import Store
from tickets.store.rawsql import Raw, Sql

T = TypeVar("T")
_RULE = re.compile(r"^([A-Z]-\d+|session|agents)\b")
_FIELD = re.compile(r"^([a-z_]+): (.*)$", re.DOTALL)
# The functions' refusals that carry values, as the msgids the SQLite path raises (the values
# named): read back from the function's English words to be shown in the desk's language.
# A refusal without values is its msgid itself (or the rule ID, ": " and its msgid).
_WITH_VALUES = (
    "name: there is no agent called {name}",
    "{name} is already disabled: nothing changed, nothing recorded",
    "{name} is already enabled: nothing changed, nothing recorded",
    "agents: no such action {action}",
    "agent {agent_id} does not exist",
    "ticket {ref} does not exist",
    "organization {id} does not exist",
    "call {id} is not one of yours",
    "subscription {ref} is not on the verified caller's account",
    "the ticket is {status}; callbacks are recorded before the decision",
)
_PATTERNS: list[tuple[re.Pattern[str], str]] = []


def in_language(text: str) -> str:
    """A function's English refusal in the desk's language (as it is when not in the catalog)."""
    if current_language() == "en":
        return text
    if _(text) != text:
        return _(text)
    rule = re.match(r"^([A-Z]-\d+): (.*)$", text, re.DOTALL)
    if rule and _(rule.group(2)) != rule.group(2):
        return f"{rule.group(1)}: {_(rule.group(2))}"
    if not _PATTERNS:
        _PATTERNS.extend(
            (re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(msgid)) + r"\Z", re.DOTALL), msgid)
            for msgid in _WITH_VALUES
        )
    prefix, words = (f"{rule.group(1)}: ", rule.group(2)) if rule else ("", text)
    for pattern, msgid in _PATTERNS:
        found = pattern.match(words)
        if found is not None:
            return prefix + _(msgid).format(**{k: _value(k, v) for k, v in found.groupdict().items()})
    return text


def _value(name: str, value: str) -> str:
    """A value of a refusal as the desk says it: a ticket's status by its label."""
    from tickets.enums import TicketStatus

    if name == "status" and value.replace(" ", "_") in TicketStatus._value2member_map_:
        return TicketStatus(value.replace(" ", "_")).label
    return value


def refusal(error: DBAPIError) -> DeskError | None:
    """The desk's error for a function's refusal (None: not one of deskapp's SQLSTATEs)."""
    orig = error.orig
    code = getattr(orig, "sqlstate", None) or ""
    if not code.startswith("DK"):
        return None
    diag = getattr(orig, "diag", None)
    english = (getattr(diag, "message_primary", None) or str(orig)).strip()
    rule = _RULE.match(english)
    text = in_language(english)
    desk: DeskError
    if code == "DK404":
        desk = NotFound(text)
    elif code == "DK409":
        desk = Conflict(text, rule=rule.group(1) if rule else None)
    elif code == "DK422":
        field = _FIELD.match(english)
        desk = InvalidInput({field.group(1): in_language(field.group(2))} if field else text)
    else:
        desk = NotAllowed(text, rule=rule.group(1) if rule else None)
    desk.database_text = english
    # Which of the database's functions refused, and where ("PL/pgSQL function
    # deskapp_api_transition(...) line 40 at RAISE"): for the log and the rule catalog's test.
    desk.database_context = getattr(diag, "context", None)
    return desk


def call(store: Store, sql: Sql, params: Mapping[str, Any]) -> list[tuple]:
    """Run one function call (its own transaction) and return its rows, or raise the desk's
    error for its refusal."""

    def work(raw: Raw) -> list[tuple]:
        return raw.rows(sql, params)

    return on_connection(store, work)


def call_void(store: Store, sql: Sql, params: Mapping[str, Any]) -> None:
    """`call` of a function that returns nothing (RETURNS void): its refusal raised the same,
    its one empty row never fetched nor built."""

    def work(raw: Raw) -> None:
        raw.execute(sql, params)

    on_connection(store, work)


def on_connection(store: Store, work: Callable[[Raw], T]) -> T:
    """`work` on one pooled connection in autocommit, with the store's retries: the reads an
    action needs and then its function call, without a second checkout; the desk's error for
    a function's refusal."""
    try:
        return store.autocommit(work)
    except DBAPIError as error:
        desk = refusal(error)
        if desk is None:
            raise
        raise desk from None
