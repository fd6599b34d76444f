"""Running an export: who may (E-1), and the audit around it (A-1).

No export leaves without a trace: `export.started` is committed before the first record is
written (on a database that cannot record it, nothing is exported), `export.created` after the
last, `export.failed` when writing fails part-way (when the database still takes it), and
`export.refused` when an unmasked export is refused. The started event's `SEQ:HASH` is an
anchor (tickets.audit.chain.Anchor): it goes into the created event and beside the output (the
`started` callback: `deskapp export` writes it to `FILE.anchor`, or to standard error for
standard output), so an export also proves what the chain held when it was taken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from types import SimpleNamespace
from typing import Any, TextIO

from tickets.agents import AgentInfo
from tickets.audit.chain import Anchor, append_event
from tickets.errors import InvalidInput, NotAllowed
from tickets.export.fields import audit_details, write_anchor_file  # noqa: F401 - re-exported
from tickets.export.records import (
    ANONYMOUS_ACTOR,
    BATCH_SIZE,
    FORMATS,
    ExportFilter,
    Format,
    iter_records,
    write_records,
)
from tickets.sessions import check_actor
from tickets.store.calls import call
from tickets.store.database import Store
from tickets.store.rawsql import Sql, bind_json


def check_unmasking(actor: AgentInfo | None) -> None:
    """E-1: only a signed-in supervisor may export personal data unmasked."""
    if actor is None:
        raise NotAllowed(
            "E-1: an unmasked export needs a supervisor: sign in with --agent NAME", rule="E-1"
        )
    if not actor.is_supervisor:
        raise NotAllowed(
            f"E-1: only supervisors may export unmasked personal data; {actor.name} is an agent",
            rule="E-1",
        )


def authorise_unmasked(store: Store, actor: AgentInfo | None, *, fmt: str = "") -> None:
    """check_unmasking, with a refusal recorded as `export.refused` (E-1, A-1)."""
    try:
        check_unmasking(actor)
    except NotAllowed as refusal:
        _audit(store, actor, "export.refused", {"format": fmt, "masked": False, "rule": "E-1",
                                                  "by": actor.name if actor else ANONYMOUS_ACTOR,
                                                  "agent_role": actor.role.value if actor else None},
               best_effort=True)
        raise refusal from None


def write_export(
    store: Store,
    out: TextIO,
    *,
    fmt: Format,
    filt: ExportFilter | None = None,
    masked: bool = True,
    actor: AgentInfo | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
    started: Callable[[Anchor], None] | None = None,
) -> int:
    """Stream the export to `out` and audit it (E-1..E-3); returns the number of records.

    `export.started` is committed before the first record is written and `export.created`
    (with the true row count) after the last; if writing fails part-way, `export.failed`
    records how far it got and the error is raised again. `started(anchor)` is called with the
    started event's anchor before any record is written.
    """
    filt = filt or ExportFilter()
    if fmt not in FORMATS:
        raise InvalidInput({"--format": f"must be one of {', '.join(FORMATS)}, not {fmt!r}"})
    if not masked:
        authorise_unmasked(store, actor, fmt=fmt)
    written = 0

    def counted(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        nonlocal written
        for record in records:
            yield record
            written += 1  # the consumer asked for the next one: this one is written

    details = audit_details(fmt, filt, masked=masked, by=actor.name if actor is not None else ANONYMOUS_ACTOR,
                            agent_role=actor.role.value if actor is not None else None)
    event = _audit(store, actor, "export.started", details)
    anchor = Anchor(event.seq, event.hash)
    details["anchor"] = str(anchor)
    try:
        if started is not None:
            started(anchor)
        if masked and store.engine.dialect.name == "sqlite":
            from tickets.export.sql import write_lines  # SQLite's fast path, loaded when it is used

            tally = [0]
            try:
                rows = write_lines(
                    store, out, fmt=fmt, filt=filt, tally=tally, progress=progress, batch_size=batch_size
                )
            finally:
                written = tally[0]
        else:
            rows = write_records(
                counted(iter_records(store, filt, masked=masked, batch_size=batch_size)), out, fmt=fmt,
                progress=progress,
            )
    except BaseException as error:
        _audit(store, actor, "export.failed", {**details, "rows": written, "error": type(error).__name__},
               best_effort=True)
        raise
    _audit(store, actor, "export.created", {**details, "rows": rows})
    return rows


_EXPORT_EVENT = Sql(
    "SELECT seq, hash FROM deskapp_api_audit_export(:token, :agent, :action, CAST(:details AS jsonb), :at)"
)


def _audit(store: Store, actor: AgentInfo | None, action: str, details: dict[str, Any], *, best_effort: bool = False):
    try:
        if store.postgres:  # the database's function (migration 0011): the session's agent, or the owner
            ((seq, digest),) = call(store, _EXPORT_EVENT, {
                "token": actor.session if actor else None, "agent": actor.id if actor else None, "action": action,
                "details": bind_json(details), "at": store.clock.now()})
            return SimpleNamespace(seq=seq, hash=digest)
        with store.write() as session:
            if actor is not None:
                check_actor(session, actor, store.clock.now())
            return append_event(
                session, at=store.clock.now(), actor=actor.name if actor is not None else ANONYMOUS_ACTOR,
                action=action, subject="export", details=details,
            )
    except Exception:
        if not best_effort:
            raise
        return None
