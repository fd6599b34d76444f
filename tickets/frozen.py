"""Small immutable values without dataclasses: `deskapp export` loads none, whose generated
methods cost its start more CPU than the rest of its imports (tickets.audit.anchor.Anchor,
tickets.export.fields.ExportFilter)."""

from __future__ import annotations

from typing import Any


class FrozenValue:
    """What a frozen dataclass gives, for the fields named in a subclass's `__slots__`: set once
    (`_set`), then never assigned or deleted; compared, hashed, shown and pickled by value."""

    __slots__ = ()

    def _set(self, **fields: Any) -> None:
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def _fields(self) -> tuple[str, ...]:
        return self.__slots__

    def _key(self) -> tuple:
        return tuple(getattr(self, name) for name in self._fields())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields())
        return f"{type(self).__name__}({shown})"

    def __reduce__(self) -> tuple:
        return (type(self), self._key())
