"""A-1: `audit verify` compares each ticket row's fixed columns with its filing event as the walk
reads the filing (tickets.audit.filings): rows met in id order beside the events, those met
before their filing read again when it comes, a filer not yet created compared at the end."""

from __future__ import annotations

from tickets.audit.filings import FILER, FiledRows, fixed_check, row_values
from tickets.audit.history import FIXED_DIFFERS, STATIC_V2, AgentState, Histories, filed_values, static_digest


class FakeReader:
    """Rows of TICKETS's shape, by id; counts the rows read one by one."""

    dialect = "sqlite"

    def __init__(self, rows: list[tuple]) -> None:
        self.rows = sorted(rows)
        self.reread: list[int] = []

    def stream(self, sql, params=None, *, key=0):
        yield from self.rows

    def first(self, sql, params=None):
        after = (params or {})["after"]
        found = next((r for r in self.rows if r[0] > after), None)
        if found is not None:
            self.reread.append(found[0])
        return found

    def all(self, sql, params=None):
        return list(self.rows)


def _row(ticket_id: int, filer: int | None = 7, kind: str = "cancel_early") -> tuple:
    row: list[object] = [None] * 34
    row[0], row[1], row[FILER], row[4] = ticket_id, kind, filer, "2026-01-02 03:04:05.000006"
    return tuple(row)


def _id(row: tuple | None) -> int | None:
    return None if row is None else row[0]


def test_rows_are_met_in_id_order_and_those_met_early_read_again():
    reader = FakeReader([_row(1), _row(2), _row(3), _row(5)])
    rows = FiledRows(reader)
    assert _id(rows.row(2)) == 2 and rows.early == {1}  # ticket 2 filed first: row 1 waits
    assert _id(rows.row(1)) == 1 and reader.reread == [1] and rows.early == set()
    assert rows.row(4) is None and rows.early == {3}  # no row 4 (deleted): the rows' pass says so
    assert _id(rows.row(5)) == 5
    assert _id(rows.row(3)) == 3 and reader.reread == [1, 3]
    assert rows.row(6) is None


def _filed(histories: Histories, ticket_id: int, kind: str = "cancel_early") -> tuple:
    values = filed_values(1, "ada", "2026-01-02T03:04:05.000006Z", {"kind": kind})
    histories._filed(ticket_id, ticket_id, "ada", "2026-01-02T03:04:05.000006Z", {"kind": kind})
    return values


def test_a_fixed_column_that_differs_is_flagged_as_the_filing_is_read():
    reader = FakeReader([_row(1), _row(2, kind="relocate")])
    histories = Histories(dense=16, expect=16)
    histories.agents[7] = AgentState("ada", "agent", None, None)
    histories.on_filed = fixed_check(reader, histories)
    _filed(histories, 1)
    _filed(histories, 2)
    assert not histories.flags[1] & FIXED_DIFFERS
    assert histories.flags[2] & FIXED_DIFFERS and not histories.deferred


def test_a_filer_created_later_in_the_chain_is_compared_at_the_end():
    reader = FakeReader([_row(1)])
    histories = Histories(dense=16, expect=16)
    histories.on_filed = fixed_check(reader, histories)
    values = _filed(histories, 1)  # agent 7 not created yet: the filing's digest is kept
    assert not histories.flags[1] & FIXED_DIFFERS
    assert histories.deferred[1] == static_digest(values)
    mask = histories.masks.values[histories.mask.a[1]]
    assert static_digest(row_values(1, _row(1), "ada", mask)) == histories.deferred[1]
    assert len(values) < len(STATIC_V2)  # version 1: only what its details held
