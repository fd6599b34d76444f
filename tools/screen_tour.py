"""Every screen of the console, reached by keys as an agent or supervisor would: one stop per
screen, shared by the snapshot tests (tests/snapshot, 80x24) and the screenshots
(`python tools/screenshots.py`).

A stop is `(prepare, drive)`: `prepare(store)` puts through the core what the screen needs
from other people (a ticket filed by another agent, an organization locked out), then
`drive(pilot)` signs in on a fresh console and presses keys until the screen shows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from textual.pilot import Pilot

from screenshots import (
    demo_caller,
    end_call_keys,
    fill_verification,
    new_call_and_find,
    open_form,
    settle,
    sign_in,
    take_call,
    type_text,
)

Drive = Callable[[Pilot], Awaitable[None]]


@dataclass(frozen=True)
class Stop:
    name: str
    drive: Drive
    prepare: Callable[[Any], None] | None = None


# --- what other people did before (through the core) -----------------------------------------


def _claim(script: dict[str, Any], **changes: str):
    from identity import Address, CallerClaim

    values = dict(
        user_id=script["user_id"], phone=script["phone"], contact_first_name=script["contact_first_name"],
        contact_last_name=script["contact_last_name"], org_name=script["org_name"], org_url=script["url"] or "",
        address=Address(tuple(script["street_lines"]), script["city"], script["region"], script["postal_code"],
                        script["country"]),
    )
    values.update(changes)
    return CallerClaim(**values)


def _org_id(store, ref: str) -> int:
    from sqlmodel import select

    from tickets.store.models import Organization

    with store.read() as session:
        return session.exec(select(Organization.id).where(Organization.ref == ref)).one()


def _agent(store, name: str):
    from tickets.agents import list_agents

    return next(a for a in list_agents(store) if a.name == name)


def expedited_filed_by_grace(store) -> None:
    """An expedited deprovisioning waiting for review, its callback (V-8) not yet recorded."""
    from tickets.enums import TicketKind
    from tickets.filing import FilingRequest, file_ticket
    from tickets.verification import start_call, verify_caller

    script = demo_caller("intune-expedited")
    grace = _agent(store, "grace")
    call_id = start_call(store, grace)
    result = verify_caller(store, agent=grace, organization_id=_org_id(store, script["org_ref"]),
                           claim=_claim(script), call_id=call_id)
    if result.verification_id is None:  # the demo caller's script passes verification
        raise RuntimeError(f"the demo caller {script['key']} failed verification")
    file_ticket(store, agent=grace, verification_id=result.verification_id, request=FilingRequest(
        kind=TicketKind.EXPEDITED_DEPROVISIONING, subscription_ref=script["subscription_ref"],
        idempotency_key="tour-expedited",
        confirmed=frozenset({"acknowledge_data_loss", "remove_domains", "update_dns", "save_data"}),
    ))


def locked_out(store) -> None:
    """Three wrong verifications of one organization (V-5), and a filed ticket for the figures."""
    from tickets.verification import verify_caller

    script = demo_caller("o365-trial")
    grace = _agent(store, "grace")
    for _ in range(3):
        verify_caller(store, agent=grace, organization_id=_org_id(store, script["org_ref"]),
                      claim=_claim(script, phone="+86 28 8512 0000"))
    expedited_filed_by_grace(store)


# --- keys ------------------------------------------------------------------------------------


async def _agent_call(pilot: Pilot, key: str) -> None:
    await sign_in(pilot, "ada", "1111")
    await take_call(pilot, demo_caller(key))


async def _form(pilot: Pilot, key: str, kind: str) -> None:
    await _agent_call(pilot, key)
    await open_form(pilot, demo_caller(key)["subscription_ref"], kind)


async def _tick(pilot: Pilot, count: int) -> None:
    for _ in range(count):
        await pilot.press("space", "down")


async def signin(pilot: Pilot) -> None:
    await settle(pilot)
    await type_text(pilot, "ada")


async def home(pilot: Pilot) -> None:
    await sign_in(pilot, "ada", "1111")


async def home_supervisor(pilot: Pilot) -> None:
    await sign_in(pilot, "linus", "3333")


async def find(pilot: Pilot) -> None:
    await sign_in(pilot, "ada", "1111")
    await pilot.press("n")
    await settle(pilot)
    await type_text(pilot, "Contoso Ltd.")
    await pilot.press("ctrl+s")


async def verification(pilot: Pilot) -> None:
    caller = demo_caller("d365-migration")
    await sign_in(pilot, "ada", "1111")
    await new_call_and_find(pilot, caller["org_name"])
    await fill_verification(pilot, caller, phone="12", org_url="")
    await pilot.press("ctrl+s")


async def account(pilot: Pilot) -> None:
    await _agent_call(pilot, "intune-expedited")


async def form_end_of_term(pilot: Pilot) -> None:
    await _form(pilot, "intune-expedited", "cancel_end_of_term")


async def form_early(pilot: Pilot) -> None:
    await _form(pilot, "o365-support-only", "cancel_early")
    await pilot.press("space", "down", "tab")
    await type_text(pilot, "2026-12-31")


async def form_early_trial(pilot: Pilot) -> None:
    await _form(pilot, "o365-trial", "cancel_early")


async def form_refused(pilot: Pilot) -> None:
    """ctrl+s with two checklist items still to confirm: the reasons, focus on the first."""
    await _form(pilot, "o365-support-only", "cancel_early")
    await pilot.press("space", "ctrl+s")


async def form_expedited(pilot: Pilot) -> None:
    await _form(pilot, "intune-expedited", "expedited_deprovisioning")
    await _tick(pilot, 2)


async def form_migration(pilot: Pilot) -> None:
    await _form(pilot, "d365-migration", "migration_on_premises")
    await pilot.press("space", "down", "space", "tab")
    await type_text(pilot, "2026-12-05 09:00")
    await pilot.press("tab")
    await type_text(pilot, "it-ops@mueller-praezision.de")


async def form_reversal(pilot: Pilot) -> None:
    await _form(pilot, "d365-reversal", "reversal")


async def form_ims(pilot: Pilot) -> None:
    await _form(pilot, "d365-ims-campaign-admin", "ims_cancellation")


async def form_batch(pilot: Pilot) -> None:
    await _form(pilot, "cloud-batch-unsubscribe", "unsubscribe_resource")
    await pilot.press("ctrl+a", "end")


async def confirm(pilot: Pilot) -> None:
    await _form(pilot, "intune-expedited", "cancel_end_of_term")
    await _tick(pilot, 1)
    await pilot.press("ctrl+s")


async def filed(pilot: Pilot) -> None:
    await confirm(pilot)
    await settle(pilot)
    await pilot.press("y")


async def _filed_expedited(pilot: Pilot) -> None:
    await _form(pilot, "intune-expedited", "expedited_deprovisioning")
    await _tick(pilot, 4)
    await pilot.press("ctrl+s")
    await settle(pilot)
    await pilot.press("y")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def tickets(pilot: Pilot) -> None:
    await _filed_expedited(pilot)
    await pilot.press("t")  # my tickets (m files a migration on the account)


async def ticket_view(pilot: Pilot) -> None:
    await tickets(pilot)
    await settle(pilot)
    await pilot.press("enter")


async def callback_dialog(pilot: Pilot) -> None:
    await ticket_view(pilot)
    await settle(pilot)
    await pilot.press("c")


async def wrap_up(pilot: Pilot) -> None:
    await _agent_call(pilot, "intune-trial")
    await end_call_keys(pilot)
    from tickets.i18n import current_language

    # The note is what the agent types: in the desk's own language.
    note = {"zh-CN": "来电询问试用；试用到期自动结束（C-3）"}.get(current_language(),
                                                              "asked about the trial; it expires by itself (C-3)")
    await type_text(pilot, note)


async def _supervisor(pilot: Pilot, key: str) -> None:
    await sign_in(pilot, "linus", "3333")
    await pilot.press(key)


async def review(pilot: Pilot) -> None:
    await _supervisor(pilot, "r")


async def review_callback(pilot: Pilot) -> None:
    await review(pilot)
    await settle(pilot)
    await pilot.press("c")


async def dashboard(pilot: Pilot) -> None:
    await _supervisor(pilot, "d")


async def lockouts(pilot: Pilot) -> None:
    await _supervisor(pilot, "l")


async def export(pilot: Pilot) -> None:
    await _supervisor(pilot, "x")


STOPS: tuple[Stop, ...] = (
    Stop("signin", signin),
    Stop("home", home),
    Stop("home-supervisor", home_supervisor),
    Stop("find", find),
    Stop("verification", verification),
    Stop("account", account),
    Stop("form-end-of-term", form_end_of_term),
    Stop("form-early", form_early),
    Stop("form-early-trial", form_early_trial),
    Stop("form-refused", form_refused),
    Stop("form-expedited", form_expedited),
    Stop("form-migration", form_migration),
    Stop("form-reversal", form_reversal),
    Stop("form-ims", form_ims),
    Stop("form-batch", form_batch),
    Stop("confirm", confirm),
    Stop("filed", filed),
    Stop("tickets", tickets),
    Stop("ticket-view", ticket_view),
    Stop("callback", callback_dialog),
    Stop("wrap-up", wrap_up),
    Stop("review", review, expedited_filed_by_grace),
    Stop("review-callback", review_callback, expedited_filed_by_grace),
    Stop("dashboard", dashboard, locked_out),
    Stop("lockouts", lockouts, locked_out),
    Stop("export", export, expedited_filed_by_grace),
)


def stop(name: str) -> Stop:
    return next(s for s in STOPS if s.name == name)
