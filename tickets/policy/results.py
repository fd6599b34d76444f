"""What the policy answers: decisions, their reasons, checklists and consequences (T-1)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any, TypeVar

from tickets.enums import Product, TicketKind
from tickets.facts import ResourceFacts


@dataclass(frozen=True)
class Reason:
    rule: str  # "C-3"
    text: str  # plain words with the facts behind it

    def __str__(self) -> str:
        return f"{self.rule}: {self.text}"

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "text": self.text}


@dataclass(frozen=True)
class ChecklistItem:
    key: str  # stable id stored on the ticket
    rule: str
    text: str  # what the agent confirms with the caller, naming the facts

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "rule": self.rule, "text": self.text}


@dataclass(frozen=True)
class Consequences:
    """T-1: computed before filing, shown to the agent, stored on the ticket."""

    effective_date: date | None
    early_termination_fee_may_apply: bool
    refund: str | None
    self_service: str | None
    data_deletion_date: date | None
    data_deletion_note: str | None
    reversal_deadline: date | None
    coupon_handling: str | None
    routing_queue: str | None
    notes: tuple[Reason, ...]

    def as_dict(self) -> dict[str, Any]:
        # Written out, not through a helper a value: a filing stores this (tickets.filing).
        effective, deletion, deadline = self.effective_date, self.data_deletion_date, self.reversal_deadline
        return {
            "effective_date": effective.isoformat() if effective is not None else None,
            "early_termination_fee_may_apply": self.early_termination_fee_may_apply,
            "refund": self.refund,
            "self_service": self.self_service,
            "data_deletion_date": deletion.isoformat() if deletion is not None else None,
            "data_deletion_note": self.data_deletion_note,
            "reversal_deadline": deadline.isoformat() if deadline is not None else None,
            "coupon_handling": self.coupon_handling,
            "routing_queue": self.routing_queue,
            "notes": [{"rule": n.rule, "text": n.text} for n in self.notes],  # Reason.as_dict's
        }


@dataclass(frozen=True)
class Decision:
    kind: TicketKind
    allowed: bool
    reasons: tuple[Reason, ...]  # refused: every refusal reason; allowed: the rules granting it
    checklist: tuple[ChecklistItem, ...]
    consequences: Consequences | None  # None when refused
    needs_review: bool  # X always; early cancellation with a refund requested; reversal (V-8)
    needs_callback: bool  # V-8: X, R, early cancellation with refund
    required_fields: tuple[str, ...]
    # Context for validate_filing (additions to the brief's API):
    product: Product | None = None
    subject_ref: str = ""  # the subscription's or the resource's ref
    subject_name: str = ""
    # The range the requested date must fall in (V-1: today .. term end), when the kind has one.
    requested_date_range: tuple[date, date] | None = None
    refund_requested: bool = False
    # C-4/C-5: whether a refund may be asked for at all (the form offers the box only then).
    refund_offered: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "allowed": self.allowed,
            "reasons": [r.as_dict() for r in self.reasons],
            "checklist": [c.as_dict() for c in self.checklist],
            "consequences": self.consequences.as_dict() if self.consequences else None,
            "needs_review": self.needs_review,
            "needs_callback": self.needs_callback,
            "required_fields": list(self.required_fields),
            "refund_requested": self.refund_requested,
            "refund_offered": self.refund_offered,
        }


@dataclass(frozen=True)
class BatchDecision:
    allowed: tuple[tuple[ResourceFacts, Decision], ...]
    refused: tuple[tuple[ResourceFacts, Decision], ...]


_Frozen = TypeVar("_Frozen")
# Each frozen dataclass's field names in order, for built().
_FIELD_NAMES: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls)) for cls in (Decision, Consequences)
}
_new = object.__new__


def built(cls: type[_Frozen], *values: Any) -> _Frozen:
    """`cls(*values)` with every field given, in order: the same object its __init__ makes (the
    same attributes in the same order, so equal, hashed, shown and pickled alike) without the
    frozen __init__'s object.__setattr__ a field. A decision (14 fields) and its consequences (10)
    are made at every filing and six times an account view."""
    made = _new(cls)
    made.__dict__.update(zip(_FIELD_NAMES[cls], values, strict=True))
    return made
