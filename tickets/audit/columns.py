"""Compact per-ticket columns for `audit verify`'s replay (tickets.audit.history): one array a
column, indexed by a ticket's slot, instead of an object a ticket, so that the replay of a
million tickets stays within a few tens of MB.

- `Table`: each distinct value once (statuses, kinds, names, dates), a column holds its code;
  any value, hashable or not (a forged event may carry a list where a date belongs).
- `Codes`: codes in the narrowest array that holds them, widened as the codes grow.
- `Times`: times as the chain hashes them ("YYYY-MM-DDTHH:MM:SS.ffffffZ"), each kept exactly as
  one 64-bit number (the day, then the time's digits: the same order as the texts); a text of
  any other shape is kept as it is, apart.
- `Digests`: a value by its 128-bit BLAKE2b digest (free texts: a decision's reason, a callback
  note's digest), as the fixed columns' digest already is; only the slots that set one hold one
  (4 bytes a slot say where).

Times and digests take memory only once a ticket sets one (a desk of version-1 histories never
sets the version-2 columns).
"""

from __future__ import annotations

import re
from array import array
from datetime import date
from hashlib import blake2b
from typing import Any

_TIME = re.compile(r"(\d{4}-\d\d-\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})Z", re.ASCII)
_DAY = 10**12  # the time of day's 12 digits (HHMMSSffffff) below the day's ordinal
_WIDER = {"B": "H", "H": "I", "I": "Q"}
# The times met last and their numbers: one event's time set in two columns (its change and its
# decision or resolution), a row's equal times (its last change and its resolution), once each.
_RECENT: dict[str, int] = {}


class Table:
    """Values and their codes; code 0 is `first`."""

    __slots__ = ("codes", "texts", "values", "on_grow")

    def __init__(self, *first: Any) -> None:
        self.codes: dict[Any, int] = {}
        self.texts: dict[str, int] = {}  # the same for plain texts, the common case, found faster
        self.values: list[Any] = []
        self.on_grow: list[Codes] = []  # columns holding these codes: widened as the table grows
        for value in first:
            self.code(value)

    def code(self, value: Any) -> int:
        if value.__class__ is str:
            found = self.texts.get(value)
            if found is None:
                found = self.texts[value] = self._add(value)
            return found
        try:
            found = self.codes.get((value.__class__, value))
        except TypeError:  # unhashable (a list, a dict): by its text
            return self._slow(value)
        if found is None:
            found = self.codes[(value.__class__, value)] = self._add(value)
        return found

    def _slow(self, value: Any) -> int:
        key = ("\0repr", repr(value))
        found = self.codes.get(key)
        if found is None:
            found = self.codes[key] = self._add(value)
        return found

    def _add(self, value: Any) -> int:
        code = len(self.values)
        self.values.append(value)
        for column in self.on_grow:
            column.fit(code)
        return code


class Codes:
    """One small code a slot (0 until set)."""

    __slots__ = ("a",)

    def __init__(self, size: int, table: Table | None = None) -> None:
        self.a = array("B", bytes(size))
        if table is not None:
            table.on_grow.append(self)
            self.fit(len(table.values))

    def fit(self, code: int) -> None:
        while code >= 1 << (8 * self.a.itemsize):
            self.a = array(_WIDER[self.a.typecode], self.a)

    def grow(self, size: int) -> None:
        self.a.frombytes(bytes((size - len(self.a)) * self.a.itemsize))


class Times:
    """One time a slot: 0 none, -1 a text of another shape (kept in `odd`)."""

    __slots__ = ("a", "size", "odd", "_days")

    def __init__(self, size: int) -> None:
        self.a = array("q")  # made on the first time set: most columns stay empty on most desks
        self.size = size
        self.odd: dict[int, str] = {}
        self._days: dict[str, int] = {}

    def grow(self, size: int) -> None:
        self.size = size
        if self.a:
            self.a.frombytes(bytes((size - len(self.a)) * 8))

    def key(self, text: str) -> int:
        """The number a time text is kept as (-1: not of the chain's shape)."""
        found = _RECENT.get(text)
        if found is not None:
            return found
        match = _TIME.fullmatch(text)
        if match is None:
            return -1
        day, hours, minutes, seconds, micro = match.groups()
        ordinal = self._days.get(day)
        if ordinal is None:
            try:
                parsed = date.fromisoformat(day)
            except ValueError:
                return -1
            if parsed.isoformat() != day:
                return -1
            if len(self._days) > 100_000:
                self._days.clear()
            ordinal = self._days[day] = parsed.toordinal()
        found = ordinal * _DAY + int(hours + minutes + seconds + micro)
        if len(_RECENT) >= 1024:
            _RECENT.clear()
        _RECENT[text] = found
        return found

    def set(self, slot: int, text: str | None) -> None:
        if not self.a:
            self.a.frombytes(bytes(self.size * 8))
        if text is None:
            self.a[slot] = 0
            self.odd.pop(slot, None)
            return
        key = self.key(text)
        self.a[slot] = key
        if key == -1:
            self.odd[slot] = text

    def get(self, slot: int) -> int | str | None:
        """What `same` compares: None, the number, or an odd text."""
        key = self.a[slot] if self.a else 0
        return None if key == 0 else self.odd[slot] if key == -1 else key

    def text(self, slot: int) -> str | None:
        """The time as its text again."""
        return self._text(slot, self.a[slot] if self.a else 0)

    def _text(self, slot: int, key: int) -> str | None:
        if key in (0, -1):
            return None if key == 0 else self.odd[slot]
        day, clock = divmod(key, _DAY)
        digits = f"{clock:012d}"
        return f"{date.fromordinal(day).isoformat()}T{digits[:2]}:{digits[2:4]}:{digits[4:6]}.{digits[6:]}Z"

    def same(self, slot: int, text: str | None) -> bool:
        """Whether the slot holds this very text (None for none)."""
        key = self.a[slot] if self.a else 0
        if text is None:
            return key == 0
        if key == -1:
            return self.odd[slot] == text
        return key != 0 and self.key(text) == key


class SparseTimes(Times):
    """Times that few slots set (a decision's, a callback's): the numbers kept in the order set,
    a slot holding its number's place (4 bytes, 0: none), not 8 bytes every slot."""

    __slots__ = ("at",)

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.at = array("I")  # a slot's number's place + 1 (0: none); made on the first time set

    def grow(self, size: int) -> None:
        self.size = size
        if self.at:
            self.at.frombytes(bytes((size - len(self.at)) * self.at.itemsize))

    def _stored(self, slot: int) -> int:
        place = self.at[slot] if self.at else 0
        return self.a[place - 1] if place else 0

    def set(self, slot: int, text: str | None) -> None:
        if not self.at:
            self.at.frombytes(bytes(self.size * self.at.itemsize))
        key = 0 if text is None else self.key(text)
        place = self.at[slot]
        if place:
            self.a[place - 1] = key
        elif key != 0:
            self.a.append(key)
            self.at[slot] = len(self.a)
        if key == -1:
            self.odd[slot] = text  # type: ignore[assignment]  # a text: key -1 is never None's
        else:
            self.odd.pop(slot, None)

    def get(self, slot: int) -> int | str | None:
        key = self._stored(slot)
        return None if key == 0 else self.odd[slot] if key == -1 else key

    def text(self, slot: int) -> str | None:
        return self._text(slot, self._stored(slot))

    def same(self, slot: int, text: str | None) -> bool:
        key = self._stored(slot)
        if text is None:
            return key == 0
        if key == -1:
            return self.odd[slot] == text
        return key != 0 and self.key(text) == key


class Digests:
    """A 128-bit digest of a value a slot (its repr: None, a text and a number all differ).

    Few slots ever get one (a decision's reason, a callback's note): the digests are kept in the
    order set, a slot holding its digest's place (4 bytes, 0: none), not 16 bytes every slot."""

    __slots__ = ("b", "at", "size")

    def __init__(self, size: int) -> None:
        self.b = bytearray()  # the digests, 16 bytes each, in the order first set
        self.at = array("I")  # a slot's digest's place + 1 (0: none); made on the first value set
        self.size = size

    def grow(self, size: int) -> None:
        self.size = size
        if self.at:
            self.at.frombytes(bytes((size - len(self.at)) * self.at.itemsize))

    @staticmethod
    def of(value: Any) -> bytes:
        return blake2b(repr(value).encode(), digest_size=16).digest()

    def set(self, slot: int, value: Any) -> None:
        if not self.at:
            self.at.frombytes(bytes(self.size * self.at.itemsize))
        place = self.at[slot]
        if place == 0:
            self.b += self.of(value)
            self.at[slot] = len(self.b) // 16
        else:
            self.b[16 * place - 16:16 * place] = self.of(value)

    def same(self, slot: int, value: Any) -> bool:
        """Whether the slot holds this value's digest (set before: the caller's flags say so)."""
        place = self.at[slot] if self.at else 0
        return place != 0 and self.b[16 * place - 16:16 * place] == self.of(value)
