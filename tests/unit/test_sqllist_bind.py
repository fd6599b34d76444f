"""tickets.store.rawsql.SqlList: list parameters spread one placeholder a value."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tickets.store.rawsql import SqlList

values = st.lists(st.integers() | st.text(max_size=5), max_size=4)


@given(subs=values, resources=values, other=st.integers())
def test_each_list_spread_and_the_rest_kept(subs, resources, other):
    statement = SqlList("SELECT 1 FROM t WHERE a IN (:subs) AND b IN (:resources) AND c = :other", "subs",
                        "resources")
    sql, bound = statement.bind({"subs": subs, "other": other, "resources": resources})
    expected = {"other": other, **{f"subs_{i}": v for i, v in enumerate(subs)},
                **{f"resources_{i}": v for i, v in enumerate(resources)}}
    assert bound == expected
    spread = [", ".join(f":{name}_{i}" for i in range(len(lst))) or "NULL"
              for name, lst in (("subs", subs), ("resources", resources))]
    assert sql.text == f"SELECT 1 FROM t WHERE a IN ({spread[0]}) AND b IN ({spread[1]}) AND c = :other"
    assert statement.bind({"subs": subs, "other": other, "resources": resources})[0] is sql  # built once
