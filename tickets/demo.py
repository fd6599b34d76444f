"""The demo directory that ships with deskapp, the demo agents and ready-made caller scripts.

`demo_directory(now)` returns a directory document (format: tickets.directory) whose dates are
relative to `now`, so "cancelled 10 days ago" is true whenever the demo is created. It is
deterministic: the same `now` gives the same document. It covers every branch of the rules:

- O365 (21Vianet, mainland China): 24 licences (self-service, C-6) and exactly 25 (support
  only), bought 12 days ago (self-service within 30 days), bought long ago, a trial (can be
  cancelled, C-3/C-6), auto-renew off, custom domains (C-7), cancelled 20 days ago (C-8),
  expired.
- Intune: online with auto-renew on and off (C-1), trials (cannot be cancelled, C-3), product
  keys (C-5), Open and FPP (C-2), custom domains, one already expedited and awaiting deletion
  and one expedited and deleted (X-1, X-3).
- Dynamics 365: both platforms (M-2), IMS campaigns running, paused and cancelled, one whose
  billing admin is not the organization's billing admin (I-1), one cancelled 10 days ago
  (reversible, R-1) and one cancelled 45 days ago (too late), one bought 20 days ago.
- Cloud: a subscription with 10 inactive renewal resources of which 4 are blocked, one by each
  U-1 condition, with cash and discount coupons used (U-3); a resource blocked twice; an
  already unsubscribed one.
- People: non-admins (no roles), primary contacts who are not the admin, billing admins who
  are not admins, names and addresses in Chinese, Japanese, German, French, Spanish,
  Portuguese and Swedish.

`DEMO_CALLERS` are caller scripts for README and tests: what the caller says for each
verification factor, exactly as in the directory. `seed_demo(store)` imports the directory and
creates `DEMO_AGENTS` (PINs are for the demo only). `create_demo_store(path, clock)` builds a
whole demo database: the one builder behind `deskapp --demo`, the screenshots and the tests.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tickets.agents import create_agent, list_agents
from tickets.demo_people import ORGANIZATIONS
from tickets.demo_vianet import VIANET_AGENTS, VIANET_CALLERS, vianet_subscriptions
from tickets.directory import FORMAT, VERSION, ImportReport, import_directory
from tickets.enums import Role
from tickets.store.database import Store
from tickets.text import person_name

if TYPE_CHECKING:  # pragma: no cover
    from tickets.clock import Clock

__all__ = ["DEMO_AGENTS", "DEMO_CALLERS", "create_demo_store", "demo_directory", "seed_demo"]

# (sign-in name, display name, role, PIN). Two supervisors so that four eyes and two
# supervisors deciding the same ticket at once can both be shown.
DEMO_AGENTS: list[tuple[str, str, str, str]] = [
    ("ada", "Ada Lovelace", "agent", "1111"),
    ("grace", "Grace Hopper", "agent", "2222"),
    ("linus", "Linus Pauling", "supervisor", "3333"),
    ("margaret", "Margaret Hamilton", "supervisor", "4444"),
    *VIANET_AGENTS,  # the 21Vianet desk (tickets.demo_vianet)
]


# --- subscriptions: day offsets relative to today (negative = ago) ---------------------------


def _sub(
    ref: str,
    name: str,
    product: str,
    channel: str = "online",
    *,
    bought: int,
    start: int | None = None,
    days: int = 365,
    licences: int = 0,
    renew: bool = True,
    domains: tuple[str, ...] = (),
    state: str = "active",
    cancelled: int | None = None,
    expedited: int | None = None,
    deleted: int | None = None,
    platform: str | None = None,
    campaigns: tuple[dict[str, Any], ...] = (),
    resources: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    start = bought if start is None else start
    return {
        "ref": ref, "name": name, "product": product, "channel": channel, "platform": platform,
        "state": state, "purchased_at": bought, "term_start": start, "term_end": start + days,
        "auto_renew": renew, "licenses_assigned": licences, "custom_domains": list(domains),
        "cancelled_at": cancelled, "expedited_at": expedited, "data_deleted_at": deleted,
        "ims_campaigns": list(campaigns), "renewal_resources": list(resources),
    }


def _ims(ref: str, name: str, billing_admin: str, state: str = "running") -> dict[str, Any]:
    """billing_admin: the user ID's local part at the organization's domain."""
    return {"ref": ref, "name": name, "billing_admin_user_id": billing_admin, "state": state}


def _res(
    ref: str,
    description: str,
    effective: int,
    *,
    state: str = "inactive",
    transaction: bool = False,
    special: bool = False,
    promotion: bool = False,
    invoice: bool = False,
    cash: int = 0,
    discount: int = 0,
) -> dict[str, Any]:
    return {
        "ref": ref, "description": description, "effective_at": effective, "state": state,
        "transaction_in_progress": transaction, "special_unsubscription_pending": special,
        "in_promotion": promotion, "invoice_issued": invoice,
        "cash_coupons_used": cash, "discount_coupons_used": discount,
    }


D365_PLATFORM_TECH, D365_PLATFORM_BILLING = "online_services", "commerce_transaction"

SUBSCRIPTIONS: dict[str, list[dict[str, Any]]] = {
    "ORG-0001": [
        _sub("SUB-0001", "Dynamics 365 Sales Enterprise", "d365", bought=-500, start=-135, licences=40,
             platform=D365_PLATFORM_TECH, campaigns=(
                 _ims("IMS-0001", "Spring search ads", "ann.smith"),
                 # I-1: Priya is the campaign's billing admin, not the organization's.
                 _ims("IMS-0002", "London retail search campaign", "priya.patel"),
                 _ims("IMS-0003", "Autumn brand awareness", "ann.smith", "paused"),
             )),
        _sub("SUB-0002", "Microsoft Intune", "intune", bought=-300, licences=30, domains=("contoso.co.uk",)),
    ],
    "ORG-0002": [
        _sub("SUB-0003", "Microsoft Intune", "intune", bought=-420, start=-55, licences=50,
             domains=("fabrikam.co.uk", "mail.fabrikam.co.uk")),
        _sub("SUB-0004", "Microsoft Intune Trial", "intune", "trial", bought=-20, days=30, licences=25, renew=False),
    ],
    "ORG-0003": [
        _sub("SUB-0005", "Microsoft Intune (product key)", "intune", "product_key", bought=-200, licences=15),
        _sub("SUB-0006", "Microsoft Intune (Open licence)", "intune", "open", bought=-100, licences=40, renew=False),
    ],
    "ORG-0004": [
        _sub("SUB-0007", "Dynamics 365 Customer Service", "d365", bought=-700, start=-335, licences=12,
             platform=D365_PLATFORM_BILLING),
    ],
    "ORG-0005": [
        _sub("SUB-0008", "Microsoft Intune (FPP)", "intune", "fpp", bought=-150, licences=10, renew=False),
        _sub("SUB-0009", "Microsoft Intune", "intune", bought=-380, start=-15, licences=120, renew=False,
             domains=("woodgrovebank.co.uk",)),
    ],
    "ORG-0006": [
        _sub("SUB-0010", "Dynamics 365 Sales Professional", "d365", bought=-400, start=-35, licences=25,
             platform=D365_PLATFORM_TECH, state="cancelled", cancelled=-10, campaigns=(
                 _ims("IMS-0004", "Seattle summer search ads", "maria.garcia", "cancelled"),
             )),
    ],
    "ORG-0007": [
        _sub("SUB-0011", "Dynamics 365 Finance", "d365", bought=-800, start=-70, licences=18,
             platform=D365_PLATFORM_BILLING, state="cancelled", cancelled=-45),
        _sub("SUB-0012", "Microsoft Intune", "intune", bought=-900, start=-170, licences=60),
    ],
    "ORG-0008": [
        # expedited yesterday, data deletion pending (within 3 days of approval).
        _sub("SUB-0013", "Microsoft Intune", "intune", bought=-500, start=-135, licences=35,
             state="cancelled", cancelled=-1, expedited=-1),
        # expedited and deleted: nothing left to reverse.
        _sub("SUB-0014", "Microsoft Intune (lab tenant)", "intune", bought=-600, start=-240, licences=5,
             state="deleted", cancelled=-40, expedited=-40, deleted=-37),
    ],
    "ORG-0009": [
        _sub("SUB-0015", "Dynamics 365 Marketing", "d365", bought=-450, start=-85, licences=20,
             platform=D365_PLATFORM_TECH, campaigns=(
                 _ims("IMS-0005", "Chicago trade show promotion", "robert.taylor"),
                 _ims("IMS-0006", "Midwest search ads", "nina.kowalski", "paused"),
             )),
        _sub("SUB-0016", "Microsoft Intune", "intune", bought=-10, licences=80, domains=("proseware.com",)),
    ],
    "ORG-0010": [
        _sub("SUB-0017", "Microsoft Intune (product key)", "intune", "product_key", bought=-90, licences=8,
             renew=False),
    ],
    "ORG-0011": [
        _sub("SUB-0018", "Dynamics 365 Business Central", "d365", bought=-650, start=-285, licences=25,
             platform=D365_PLATFORM_TECH),
        _sub("SUB-0019", "Microsoft Intune", "intune", bought=-365, start=0, licences=24,
             domains=("mueller-praezision.de",)),
    ],
    "ORG-0012": [
        _sub("SUB-0020", "Elastic Compute Service", "cloud", bought=-240, resources=(
            _res("RES-0013", "ECS g7.2xlarge renewal (12 months)", 125),
            _res("RES-0014", "Object Storage 1 TB package renewal (12 months)", 125, cash=12000),
        )),
    ],
    "ORG-0013": [
        _sub("SUB-0021", "Microsoft Intune Trial", "intune", "trial", bought=-5, days=30, licences=10, renew=False),
        _sub("SUB-0022", "Microsoft Intune", "intune", bought=-210, licences=22),
    ],
    "ORG-0014": [
        _sub("SUB-0023", "Dynamics 365 Field Service", "d365", bought=-20, licences=60,
             platform=D365_PLATFORM_TECH),
    ],
    "ORG-0015": [
        _sub("SUB-0024", "Dynamics 365 Sales Enterprise", "d365", bought=-540, start=-175, licences=30,
             platform=D365_PLATFORM_BILLING, campaigns=(
                 _ims("IMS-0007", "Campagne de printemps", "francois.leroy"),
             )),
        _sub("SUB-0025", "Microsoft Intune", "intune", bought=-250, licences=45, domains=("lumiere-fils.fr",)),
    ],
    "ORG-0016": [
        _sub("SUB-0026", "Microsoft Intune (FPP)", "intune", "fpp", bought=-60, licences=6, renew=False),
    ],
    "ORG-0017": [
        _sub("SUB-0027", "Elastic Compute Service", "cloud", bought=-330, resources=(
            _res("RES-0015", "RDS PostgreSQL pg.n2.medium renewal (12 months)", 35),
        )),
    ],
    "ORG-0018": [
        _sub("SUB-0028", "Microsoft Intune (Open licence)", "intune", "open", bought=-30, licences=12, renew=False),
    ],
    "ORG-0019": [
        _sub("SUB-0029", "Office 365 E3", "o365", bought=-400, start=-35, licences=30, domains=("yunfan-tech.cn",)),
    ],
    "ORG-0020": [
        _sub("SUB-0030", "Office 365 E1", "o365", bought=-500, start=-135, licences=24),
    ],
    "ORG-0021": [
        _sub("SUB-0031", "Office 365 E3", "o365", bought=-300, licences=25, domains=("brightwave-sz.cn",)),
    ],
    "ORG-0022": [
        _sub("SUB-0032", "Office 365 Business Premium", "o365", bought=-12, licences=60,
             domains=("westlaketea.cn",)),
    ],
    "ORG-0023": [
        _sub("SUB-0033", "Office 365 E3 Trial", "o365", "trial", bought=-10, days=30, licences=25, renew=False),
    ],
    "ORG-0024": [
        _sub("SUB-0034", "Office 365 E1", "o365", bought=-280, licences=18, renew=False),
        _sub("SUB-0035", "Office 365 E3", "o365", bought=-700, start=-335, licences=40,
             state="cancelled", cancelled=-20, domains=("pearlriver-textiles.cn",)),
    ],
    "ORG-0025": [
        # U-1/U-2: ten renewal resources, four blocked (one by each condition), six free.
        _sub("SUB-0036", "Elastic Compute Service", "cloud", bought=-420, start=-55, resources=(
            _res("RES-0001", "ECS c6.large renewal (12 months)", 30, cash=5000),
            _res("RES-0002", "ECS c6.xlarge renewal (12 months)", 30, discount=2000),
            _res("RES-0003", "OSS storage package 500 GB renewal (12 months)", 45),
            _res("RES-0004", "RDS MySQL mysql.n4.large renewal (12 months)", 45, cash=1500, discount=1000),
            _res("RES-0005", "SLB load balancer renewal (12 months)", 60, transaction=True),
            _res("RES-0006", "CDN traffic package 10 TB renewal (6 months)", 60, special=True),
            _res("RES-0007", "ECS g7.large renewal (12 months, Double 11 offer)", 75, promotion=True),
            _res("RES-0008", "NAS file storage 2 TB renewal (12 months)", 75, invoice=True),
            _res("RES-0009", "EIP 100 Mbps bandwidth renewal (3 months)", 90),
            _res("RES-0010", "Web Application Firewall renewal (12 months)", 90, cash=800),
        )),
    ],
    "ORG-0026": [
        _sub("SUB-0037", "Elastic Compute Service", "cloud", bought=-600, start=-235, resources=(
            _res("RES-0011", "ECS c5.large renewal (12 months)", 130, state="unsubscribed", cash=3000),
            _res("RES-0012", "ECS c6.2xlarge renewal (12 months, launch offer)", 130, promotion=True,
                 invoice=True),
        )),
        _sub("SUB-0038", "Office 365 E1", "o365", bought=-395, days=380, licences=9, renew=False,
             state="expired"),
    ],
    "ORG-0027": [
        _sub("SUB-0039", "Microsoft Intune", "intune", bought=-330, licences=45, domains=("sakura-seiki.co.jp",)),
    ],
    "ORG-0028": [
        _sub("SUB-0040", "Dynamics 365 Supply Chain Management", "d365", bought=-365, start=0, licences=28,
             platform=D365_PLATFORM_TECH),
    ],
    "ORG-0029": [
        _sub("SUB-0041", "Elastic Compute Service", "cloud", bought=-150, resources=(
            _res("RES-0016", "ECS c6.large renewal (6 months)", 215, discount=4000),
        )),
    ],
    "ORG-0030": [
        _sub("SUB-0042", "Microsoft Intune (product key)", "intune", "product_key", bought=-45, licences=20),
    ],
    "ORG-0031": [
        _sub("SUB-0043", "Dynamics 365 Sales Professional", "d365", bought=-220, licences=14,
             platform=D365_PLATFORM_BILLING),
    ],
    "ORG-0032": [
        _sub("SUB-0044", "Elastic Compute Service", "cloud", bought=-100, resources=(
            _res("RES-0017", "ECS hfg7.large renewal (12 months)", 265),
            _res("RES-0018", "SSL certificate renewal (12 months)", 265, transaction=True),
        )),
    ],
    "ORG-0033": [
        _sub("SUB-0045", "Microsoft Intune", "intune", bought=-480, start=-115, licences=70,
             domains=("paulista-embalagens.com.br",)),
    ],
    "ORG-0034": [
        _sub("SUB-0046", "Microsoft Intune (Open licence)", "intune", "open", bought=-260, licences=16, renew=False),
    ],
    "ORG-0035": [
        _sub("SUB-0047", "Dynamics 365 Marketing", "d365", bought=-310, licences=10,
             platform=D365_PLATFORM_TECH, campaigns=(
                 _ims("IMS-0008", "Carnaval search ads", "rafael.pereira", "paused"),
             )),
    ],
    "ORG-0036": [
        _sub("SUB-0048", "Microsoft Intune", "intune", bought=-190, licences=33,
             domains=("construcciones-ibericas.es",)),
    ],
    "ORG-0037": [
        _sub("SUB-0049", "Dynamics 365 Business Central", "d365", bought=-560, start=-195, licences=9,
             platform=D365_PLATFORM_BILLING),
    ],
    "ORG-0038": [
        _sub("SUB-0050", "Elastic Compute Service", "cloud", bought=-70, resources=(
            _res("RES-0019", "ECS c7.large renewal (12 months)", 295, special=True),
        )),
    ],
    "ORG-0039": [
        _sub("SUB-0051", "Microsoft Intune (FPP)", "intune", "fpp", bought=-120, licences=4, renew=False),
    ],
    "ORG-0040": [
        _sub("SUB-0052", "Microsoft Intune", "intune", bought=-520, start=-155, licences=27, renew=False,
             domains=("akesson-soner.se",)),
    ],
    "ORG-0041": [
        _sub("SUB-0053", "Dynamics 365 Customer Service", "d365", bought=-25, licences=11,
             platform=D365_PLATFORM_TECH),
    ],
    "ORG-0042": [
        _sub("SUB-0054", "Elastic Compute Service", "cloud", bought=-280, resources=(
            _res("RES-0020", "ECS c6.large renewal (12 months)", 85, cash=2500),
            _res("RES-0021", "OSS storage package 1 TB renewal (12 months)", 85, invoice=True),
        )),
    ],
    "ORG-0043": [
        _sub("SUB-0055", "Microsoft Intune", "intune", bought=-160, licences=19, domains=("cohowinery.com.au",)),
    ],
}
SUBSCRIPTIONS.update(vianet_subscriptions(_sub))

_DATE_FIELDS = ("purchased_at", "term_start", "term_end", "cancelled_at", "expedited_at", "data_deleted_at")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def demo_directory(now: datetime) -> dict[str, Any]:
    """The demo directory as a document in the import format, dated relative to `now`."""
    if now.tzinfo is None:
        raise ValueError("demo_directory needs an aware datetime")
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

    def day(offset: int | None) -> str | None:
        return None if offset is None else _iso(today + timedelta(days=offset))

    organizations = []
    for org in ORGANIZATIONS:
        domain = org["domain"]
        subscriptions = []
        for spec in SUBSCRIPTIONS.get(org["ref"], []):
            sub = dict(spec)
            for name in _DATE_FIELDS:
                sub[name] = day(sub[name])
            sub["ims_campaigns"] = [
                {**c, "billing_admin_user_id": f"{c['billing_admin_user_id']}@{domain}"}
                for c in spec["ims_campaigns"]
            ]
            sub["renewal_resources"] = [
                {**r, "effective_at": day(r["effective_at"])} for r in spec["renewal_resources"]
            ]
            subscriptions.append(sub)
        organizations.append(
            {
                "ref": org["ref"],
                "name": org["name"],
                "url": org["url"],
                "country": org["country"],
                "address": {**org["address"], "street_lines": list(org["address"]["street_lines"])},
                "people": [
                    {
                        "user_id": f"{local}@{domain}",
                        "first_name": first,
                        "last_name": last,
                        "phone": phone,
                        "primary_contact": primary,
                        "roles": list(roles),
                    }
                    for local, first, last, phone, primary, roles in org["people"]
                ],
                "subscriptions": subscriptions,
            }
        )
    return {"format": FORMAT, "version": VERSION, "organizations": organizations}


# --- caller scripts --------------------------------------------------------------------------


def _caller(key: str, org_ref: str, caller: str, subscription_ref: str, purpose: str) -> dict[str, Any]:
    """What a caller says for each factor (V-1), taken from the directory data itself."""
    org = next(o for o in ORGANIZATIONS if o["ref"] == org_ref)
    person = next(p for p in org["people"] if p[0] == caller)
    contact = next(p for p in org["people"] if p[4])
    roles = ", ".join(Role(r).label for r in person[5]) or "no roles"  # README's table is read by agents
    return {
        "key": key,
        "purpose": purpose,
        "org_ref": org_ref,
        "subscription_ref": subscription_ref,
        "caller": f"{person_name(person[1], person[2])} ({roles})",
        "user_id": f"{person[0]}@{org['domain']}",
        "phone": person[3],
        "contact_first_name": contact[1],
        "contact_last_name": contact[2],
        "org_name": org["name"],
        "street_lines": list(org["address"]["street_lines"]),
        "city": org["address"]["city"],
        "region": org["address"]["region"],
        "postal_code": org["address"]["postal_code"],
        "country": org["country"],
        "url": org["url"],
    }


DEMO_CALLERS: list[dict[str, Any]] = [
    _caller("o365-support-only", "ORG-0021", "huang.lei", "SUB-0031",
            "Office 365 early cancellation with exactly 25 licences, bought long ago: only through "
            "support (C-6, C-4); custom domain to remove first (C-7). The primary contact is not "
            "the caller."),
    _caller("o365-trial", "ORG-0023", "zhao.lin", "SUB-0033",
            "Office 365 trial: can be cancelled, also self-service in the admin center (C-3, C-6)."),
    _caller("intune-product-key", "ORG-0003", "raj.kumar", "SUB-0005",
            "Intune early cancellation with product key: cancelled through support, refund only "
            "from the partner (C-5). The primary contact, Margaret Jones, is not an admin."),
    _caller("intune-expedited", "ORG-0002", "james.oconnor", "SUB-0003",
            "Intune expedited deprovisioning: data deleted within 3 days, needs acknowledgement, "
            "a callback and a second supervisor's approval (X-1, X-2, V-8)."),
    _caller("intune-trial", "ORG-0013", "stefan.hoffmann", "SUB-0021",
            "Intune trial: cannot be cancelled, it expires with its data (C-3)."),
    _caller("d365-migration", "ORG-0011", "juergen.weiss", "SUB-0018",
            "Dynamics 365 migration to on-premises, Online Services platform: technical support "
            "(M-1, M-2, M-3); needs the organization URL (V-1)."),
    _caller("d365-reversal", "ORG-0006", "kevin.liu", "SUB-0010",
            "Dynamics 365 cancelled 10 days ago: reversal within 30 days (R-1); its cancelled IMS "
            "campaign cannot be reinstated (R-2)."),
    _caller("d365-ims-campaign-admin", "ORG-0001", "priya.patel", "SUB-0001",
            "Internet Marketing cancellation by the campaign's billing admin, who is not the "
            "organization's billing admin (I-1, I-2)."),
    _caller("cloud-batch-unsubscribe", "ORG-0025", "lin.qiang", "SUB-0036",
            "Batch unsubscription of 10 renewal resources: 6 allowed, 4 refused, one for each "
            "U-1 condition (U-1, U-2, U-3)."),
    *(_caller(*script) for script in VIANET_CALLERS),
    _caller("non-admin", "ORG-0001", "oliver.reed", "SUB-0002",
            "A caller who knows every fact but is listed with no admin role: verification fails "
            "as a whole, without saying why, and counts as an attempt (V-2, V-4, V-5)."),
]


# --- seeding ---------------------------------------------------------------------------------


def seed_demo(store: Store, now: datetime | None = None) -> ImportReport:
    """Import the demo directory (dated relative to `now`, default the store's clock) and create
    the demo agents that do not exist yet. Safe to run again: the import updates in place."""
    document = demo_directory(now or store.clock.now())
    report = import_directory(store, json.dumps(document, ensure_ascii=False), actor="system")
    existing = {agent.name for agent in list_agents(store)}
    for name, display_name, role, pin in DEMO_AGENTS:
        if name not in existing:
            create_agent(store, name=name, display_name=display_name, role=role, pin=pin)
    return report


def create_demo_store(path: Path, clock: Clock | None = None) -> Store:
    """A fresh SQLite demo database at `path`, replacing whatever was there: migrated, holding
    the demo directory dated relative to the clock's now, and the demo agents. Its WAL is folded
    into the file on return, so the file alone can be copied (the tests' templates do)."""
    from tickets.store.schema import upgrade

    path.parent.mkdir(parents=True, exist_ok=True)
    for old in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        old.unlink(missing_ok=True)
    store = Store.from_url(f"sqlite:///{path}", clock, create=True)
    try:
        upgrade(store.engine)
        seed_demo(store)
        with store.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        store.dispose()
        raise
    return store
