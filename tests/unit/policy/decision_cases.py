"""Generated decision cases and their fingerprints: the policy's answers pinned, so that a change
made for speed can be checked to change nothing (every field, reason, text and order; the
pickled bytes too). Imported by plain name, as policy_factories is.

The cases come from a seeded random.Random, in a fixed order and with the policy's caches warm
and shared between them, as a process deciding many calls has them; both languages. Recording
the fingerprints again (after an intended change of a rule or a text):

    .venv/bin/python tests/unit/policy/decision_cases.py --record
"""

from __future__ import annotations

import hashlib
import pickle
import random
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tickets.enums import (
    CampaignState,
    Channel,
    Platform,
    Product,
    ResourceState,
    Role,
    SubscriptionState,
    TicketKind,
    TicketStatus,
)
from tickets.facts import CallerFacts, CampaignFacts, ResourceFacts, SubscriptionFacts, TicketSummary

FINGERPRINTS = Path(__file__).with_name("decision_fingerprints.txt")  # one a line, in the cases' order
SEED = 20261208
CASES = 4000  # decide() cases; a tenth as many decide_all and decide_batch cases
LANGUAGE_BLOCK = 250  # cases in one language before switching

ZONES: tuple[tzinfo, ...] = (UTC, UTC, ZoneInfo("Asia/Shanghai"), ZoneInfo("America/Los_Angeles"),
                             ZoneInfo("Pacific/Kiritimati"), ZoneInfo("America/Havana"))
NAMES = ("Office 365 E3", "Microsoft Intune", "Dynamics 365 Sales", "Plan")
USERS = ("ada@contoso.cn", "eve@contoso.cn", "bob@fabrikam.cn")
DOMAINS = ("contoso.cn", "fabrikam.cn", "org00001.example.com")
BASE = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def _moment(rng: random.Random, around: datetime, days: int) -> datetime:
    """An instant within `days` days of `around`, often on a day's edge (near misses)."""
    offset = timedelta(days=rng.randint(-days, days))
    edge = rng.random()
    if edge < 0.3:
        return around + offset  # the same time of day
    if edge < 0.5:
        return around.replace(hour=0, minute=0, second=0, microsecond=0) + offset - timedelta(
            microseconds=rng.choice((0, 1)))
    return around + offset + timedelta(seconds=rng.randint(0, 86_399), microseconds=rng.randint(0, 999_999))


def _maybe(rng: random.Random, p: float, make: Callable[[], Any]) -> Any:
    return make() if rng.random() < p else None


def _ticket(rng: random.Random, now: datetime) -> TicketSummary:
    return TicketSummary(ref=f"TK-{rng.randint(1, 999_999):06d}", kind=rng.choice(list(TicketKind)),
                         status=rng.choice(list(TicketStatus)), created_at=_moment(rng, now, 60),
                         resolved_at=_maybe(rng, 0.2, lambda: _moment(rng, now, 30)))


def _campaign(rng: random.Random) -> CampaignFacts:
    name = rng.choice(("Spring", "Fall", "Search ads"))
    return CampaignFacts(ref=f"IMS-{name[:3]}", name=name, billing_admin_user_id=rng.choice(USERS),
                         state=rng.choice(list(CampaignState)))


def subscription(rng: random.Random, now: datetime, product: Product | None = None) -> SubscriptionFacts:
    product = product or rng.choice(list(Product))
    term_start = now - timedelta(days=rng.randint(0, 400), hours=rng.randint(0, 23))
    state = rng.choice([SubscriptionState.ACTIVE] * 6 + [SubscriptionState.CANCELLED] * 3
                       + [SubscriptionState.EXPIRED, SubscriptionState.DELETED])
    cancelled = state is SubscriptionState.CANCELLED or rng.random() < 0.05
    return SubscriptionFacts(
        id=rng.randint(1, 5), ref=f"SUB-{rng.randint(1, 40):04d}",
        name=rng.choice(NAMES[:3]) if rng.random() < 0.8 else NAMES[3],
        product=product,
        channel=rng.choice([Channel.ONLINE] * 3 + list(Channel)),
        platform=rng.choice([None, Platform.ONLINE_SERVICES, Platform.COMMERCE_TRANSACTION]),
        state=state,
        purchased_at=rng.choice((term_start, _moment(rng, now, 45), term_start - timedelta(days=rng.randint(0, 800)))),
        term_start=term_start,
        term_end=max(term_start + timedelta(days=1), _moment(rng, now, 3) if rng.random() < 0.3
                     else now + timedelta(days=rng.randint(-60, 700))),
        auto_renew=rng.random() < 0.7,
        licenses_assigned=rng.choice((0, 1, 24, 25, 26, 40, rng.randint(0, 500))),
        custom_domains=tuple(rng.sample(DOMAINS, rng.choice((0, 0, 1, 2)))),
        campaigns=tuple(_campaign(rng) for _ in range(rng.choice((0, 0, 1, 2, 3)))),
        cancelled_at=_maybe(rng, 0.9 if cancelled else 0.05, lambda: _moment(rng, now, 120)),
        cancelled_zone=_maybe(rng, 0.3, lambda: rng.choice(("Asia/Shanghai", "UTC", "America/Los_Angeles"))),
        expedited_at=_maybe(rng, 0.1, lambda: _moment(rng, now, 60)),
        data_deleted_at=_maybe(rng, 0.1, lambda: _moment(rng, now, 60)),
        tickets=tuple(_ticket(rng, now) for _ in range(rng.choice((0, 0, 0, 0, 0, 1, 2)))),
    )


def caller(rng: random.Random) -> CallerFacts:
    roles = rng.choice(([Role.ADMIN, Role.BILLING_ADMIN],) * 3 + ([Role.ADMIN], [Role.BILLING_ADMIN],
                       [Role.IMS_BILLING_ADMIN], [], [Role.ADMIN, Role.IMS_BILLING_ADMIN]))
    return CallerFacts(user_id=rng.choice(USERS), roles=frozenset(roles), is_primary_contact=rng.random() < 0.5)


def resource(rng: random.Random, now: datetime) -> ResourceFacts:
    return ResourceFacts(
        id=rng.randint(1, 9), ref=f"RES-{rng.randint(1, 9)}", subscription_ref="SUB-CLOUD",
        description=rng.choice(("ECS renewal 1 (12 months)", "Renewal")), effective_at=_moment(rng, now, 40),
        state=rng.choice([ResourceState.INACTIVE] * 3 + [ResourceState.UNSUBSCRIBED]),
        transaction_in_progress=rng.random() < 0.2, special_unsubscription_pending=rng.random() < 0.2,
        in_promotion=rng.random() < 0.2, invoice_issued=rng.random() < 0.2,
        cash_coupons_used=rng.choice((0, 500, rng.randint(0, 10**6))),
        discount_coupons_used=rng.choice((0, 1, rng.randint(0, 10**6))),
        tickets=tuple(_ticket(rng, now) for _ in range(rng.choice((0, 0, 1)))),
    )


def fingerprint(value: object) -> str:
    """What pins a policy answer: its repr (every field, every text, in order) and its pickled
    bytes (the classes and the order of each object's attributes); decide_all's decisions each
    pickled apart (which immutable values they share is not theirs to pin)."""
    digest = hashlib.sha256(repr(value).encode())
    for part in value if isinstance(value, tuple) else (value,):
        digest.update(pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL))
    return digest.hexdigest()[:12]


def answers() -> Iterator[tuple[str, object]]:
    """(label, answer) of every generated case, in order, switching language by blocks."""
    from deskapp.language import LOCALE_DIR
    from tickets import policy
    from tickets.i18n import use_language

    rng = random.Random(SEED)
    try:
        for i in range(CASES):
            if i % LANGUAGE_BLOCK == 0:
                use_language(("en", "zh-CN")[(i // LANGUAGE_BLOCK) % 2], LOCALE_DIR)
            # A few moments and subscriptions recur, so kept sentences are met again.
            now = _moment(rng, BASE, 3 if rng.random() < 0.5 else 900)
            kind = rng.choice(list(TicketKind))
            # Mostly a product the kind is offered for, so that allowed decisions are common.
            offered = sorted(policy.KIND_PRODUCTS[kind][0])
            sub = subscription(rng, now, rng.choice(offered) if rng.random() < 0.8 else None)
            who = caller(rng)
            zone = rng.choice(ZONES)
            requested = _maybe(rng, 0.35, lambda now=now: (now + timedelta(days=rng.randint(-3, 400))).date())
            refund = rng.random() < 0.3
            approved = _maybe(rng, 0.3, lambda now=now: _moment(rng, now, 5))
            yield f"decide {i}", policy.decide(kind, sub, who, now, requested_date=requested,
                                               refund_requested=refund, approved_at=approved, zone=zone)
            if i % 10 == 0:
                yield f"decide_all {i}", policy.decide_all(sub, who, now, zone)
            if i % 10 == 5:
                batch = [resource(rng, now) for _ in range(rng.randint(0, 4))]
                yield f"decide_batch {i}", policy.decide_batch(batch, who, now, zone)
    finally:
        use_language("en", LOCALE_DIR)


def recorded() -> list[str]:
    return FINGERPRINTS.read_text().split()


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit(__doc__)
    found = [fingerprint(value) for _, value in answers()]
    FINGERPRINTS.write_text("".join(f"{f}\n" for f in found))
    print(f"{len(found)} fingerprints written to {FINGERPRINTS}")

