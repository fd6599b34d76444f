"""The domain rules as data and small pure functions (each rule explained in docs/rules.md).

Each rule lives in one place and is named by its ID, so a reader can hold a function against
its article. Where the spec and an article disagree the article wins; the places are marked
"ARTICLE:" below.

    decide(kind, sub, caller, now, ...)  -> Decision   one subscription-level ticket kind
    decide_all(sub, caller, now)         -> every subscription-level kind, in TicketKind order
    decide_resource(res, caller, now)    -> Decision   unsubscribing one renewal resource (U)
    decide_batch(resources, caller, now) -> BatchDecision  (U-2: refuses only the ineligible)
    validate_filing(decision, confirmed=..., fields=..., now=...) -> what still blocks filing

Pure: no database, no Textual, no clock of its own. All dates are calendar days at the desk (its time
zone, passed as `zone`; tickets.desk_time) and are written ISO (2027-01-04) in the texts agents read.

The package: ``rules`` (the rules as data), ``results`` (what a decision holds), ``context``
(how one is assembled), ``shared`` (rules several kinds share), one module per ticket kind
(``end_of_term``, ``cancel_early``, ``expedited``, ``migration``, ``reversal``, ``ims``,
``resources``), ``filing_checks`` (what still blocks filing) and ``catalog`` (every rule ID of
the spec and the one function implementing it).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, tzinfo

from tickets.dates import as_utc
from tickets.enums import TicketKind
from tickets.facts import CallerFacts, SubscriptionFacts
from tickets.i18n import _
from tickets.kinds import KINDS
from tickets.policy.context import Ctx, refused
from tickets.policy.filing_checks import validate_filing
from tickets.policy.resources import decide_batch, decide_resource
from tickets.policy.results import BatchDecision, ChecklistItem, Consequences, Decision, Reason
from tickets.policy.rules import KIND_PRODUCTS, RULES, Rule
from tickets.policy.shared import offer_refusal

__all__ = [
    "KIND_PRODUCTS",
    "RULES",
    "BatchDecision",
    "ChecklistItem",
    "Consequences",
    "Decision",
    "Reason",
    "Rule",
    "decide",
    "decide_all",
    "decide_batch",
    "decide_resource",
    "validate_filing",
]

# Each subscription-level kind's decide(c), from its policy module named in the registry.
_KIND_FUNCTIONS: Mapping[TicketKind, Callable[[Ctx], Decision]] = {
    kind: importlib.import_module(f"{__name__}.{spec.policy_module}").decide
    for kind, spec in KINDS.items()
    if not spec.per_resource
}


# The subscription-level kinds in TicketKind order (decide_all), listed once.
_SUBSCRIPTION_KINDS: tuple[TicketKind, ...] = tuple(k for k in TicketKind if not KINDS[k].per_resource)


def decide(
    kind: TicketKind,
    sub: SubscriptionFacts,
    caller: CallerFacts,
    now: datetime,
    *,
    requested_date: date | None = None,
    refund_requested: bool = False,
    approved_at: datetime | None = None,
    zone: tzinfo = UTC,
) -> Decision:
    """Whether a ticket of `kind` may be filed for `sub` by `caller` at `now`, and what follows;
    every day counted in the desk's time zone `zone` (tickets.desk_time)."""
    return _decide(Ctx(kind, sub, caller, as_utc(now), requested_date, refund_requested, approved_at, zone))


def _decide(c: Ctx) -> Decision:
    kind, sub = c.kind, c.sub
    offer = offer_refusal(kind, sub.product)
    if offer is not None:
        return refused(c, [offer])
    if KINDS[kind].per_resource:
        return refused(c, [Reason("U-2", _("unsubscription is decided for each renewal resource of {name}: "
                                           "choose them (single or batch)").format(name=sub.name))])
    return _KIND_FUNCTIONS[kind](c)


def decide_all(sub: SubscriptionFacts, caller: CallerFacts, now: datetime,
               zone: tzinfo = UTC) -> tuple[Decision, ...]:
    """Every subscription-level kind, in TicketKind order: decide() of each, each from the
    context of the one before, so that a day (today, the term's end ...) is counted once."""
    c = Ctx(_SUBSCRIPTION_KINDS[0], sub, caller, as_utc(now), None, False, None, zone)
    decisions = []
    for kind in _SUBSCRIPTION_KINDS:
        c = c.for_kind(kind)
        decisions.append(_decide(c))
    return tuple(decisions)
