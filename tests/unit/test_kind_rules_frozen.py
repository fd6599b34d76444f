"""The kinds' rules PostgreSQL's filing function checks, and identity's factors and caller roles its
verification function checks (migration 0016), are the registry's and identity's:
a kind added or changed in tickets.kinds needs a migration that replaces the function."""

from __future__ import annotations

from tickets.kinds import KINDS
from tickets.store.pgsql.filing_0016 import KIND_RULES


def test_the_database_checks_the_registry_of_kinds():
    registry = {spec.kind.value: (tuple(sorted(p.value for p in spec.products)), spec.offered_by, spec.per_resource,
                                  spec.refund_request) for spec in KINDS.values()}
    frozen = {kind: (tuple(sorted(products)), rule, per, refund) for kind, (products, rule, per, refund)
              in KIND_RULES.items()}
    assert frozen == registry, "a kind changed: add a migration with deskapp_api_file's new KIND_RULES"


def test_the_database_checks_identitys_factors_and_caller_roles():
    from identity.verification import CALLER_ROLES, Factor
    from tickets.store.pgsql import verification_0016

    assert set(verification_0016.FACTORS) == {f.value for f in Factor}
    assert set(verification_0016.CALLER_ROLES) == set(CALLER_ROLES)
