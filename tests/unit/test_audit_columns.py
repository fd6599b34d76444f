"""A-1: the compact columns `audit verify`'s replay keeps a ticket in (tickets.audit.columns)
compare exactly as the texts and values they stand for."""

from __future__ import annotations

from tickets.audit.columns import Codes, Digests, SparseTimes, Table, Times


def test_a1_a_time_is_kept_exactly_and_in_the_order_of_its_text():
    times = Times(4)
    texts = ["2026-11-22T12:00:00.000001Z", "2026-11-22T12:00:00.000000Z", "1999-12-31T23:59:59.999999Z"]
    for slot, text in enumerate(texts):
        times.set(slot, text)
    for slot, text in enumerate(texts):
        assert times.same(slot, text) and times.text(slot) == text
        assert not times.same(slot, text.replace("Z", "0Z")) and not times.same(slot, None)
    assert times.get(0) > times.get(1) > times.get(2)
    assert times.same(3, None) and not times.same(3, texts[0])


def test_a1_a_time_of_another_shape_is_kept_as_it_is():
    times = Times(3)
    # An ISO week date parses to the same day: it must not pass for the calendar date.
    times.set(0, "2026-W47-7T12:00:00.000000Z")
    assert times.get(0) == "2026-W47-7T12:00:00.000000Z"
    assert not times.same(0, "2026-11-22T12:00:00.000000Z")
    times.set(1, "2026-02-30T12:00:00.000000Z")  # no such day
    assert times.same(1, "2026-02-30T12:00:00.000000Z") and not times.same(1, "2026-03-02T12:00:00.000000Z")
    times.set(2, "2026-11-22T12:00:00.000000Z")
    assert not times.same(2, "2026-11-22T12:00:00.000000+00:00")


def test_a1_a_table_keeps_values_of_each_type_apart_and_takes_unhashable_ones():
    table = Table(None)
    codes = {table.code(v) for v in ("1", 1, True, 1.0, None, [1], [True], {"a": 1})}
    assert len(codes) == 8
    assert table.values[table.code([1])] == [1] and table.code("1") == table.code("1")


def test_a1_codes_widen_as_the_table_grows():
    table = Table()
    column = Codes(2, table)
    for n in range(70_000):
        table.code(f"name {n}")
    column.a[1] = 69_999
    assert column.a.typecode == "I" and column.a[1] == 69_999


def test_a1_a_digest_tells_a_text_from_its_look_alikes():
    digests = Digests(2)
    digests.set(0, "None")
    assert digests.same(0, "None") and not digests.same(0, None) and not digests.same(0, "none")
    assert not Digests(1).same(0, "None")  # nothing set: nothing matches


def test_a1_sparse_times_keep_what_dense_ones_keep():
    dense, sparse = Times(4), SparseTimes(4)
    for column in (dense, sparse):
        column.set(1, "2026-11-22T12:00:00.000001Z")
        column.set(2, "not a time")
        column.set(3, "2026-11-22T12:00:00.000001Z")
        column.set(3, None)
        column.grow(6)
        column.set(5, "2026-11-23T00:00:00.000000Z")
    for slot in range(6):
        assert sparse.get(slot) == dense.get(slot) and sparse.text(slot) == dense.text(slot)
        assert sparse.same(slot, dense.text(slot)) and not sparse.same(slot, "2026-11-22T12:00:00.000002Z")
    assert sparse.text(1) == "2026-11-22T12:00:00.000001Z" and sparse.get(2) == "not a time" and sparse.get(3) is None
    assert len(sparse.a) == 4  # a place for each slot that ever set a time, not one for every slot
