"""The verified caller's account: the organization, the caller, each subscription and renewal
resource, and every ticket kind allowed or refused with its rule and reason in plain words."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from deskapp.messages import AccountLoaded
from deskapp.screens.base import DeskScreen
from deskapp.widgets.format import (
    BAD,
    MUTED,
    OK,
    WARN,
    clock_time,
    day,
    decision_content,
    label,
    lines,
    reason_lines,
    roles_text,
    word,
)
from deskapp.widgets.hanging import hang
from tickets.i18n import N_, _
from tickets.kinds import KINDS

# The one kind decided per renewal resource (U-2) is shown as a list of resources, not one line.
RESOURCES = next(kind.value for kind, spec in KINDS.items() if spec.per_resource)
# One key per ticket kind, from the registry (tickets.kinds: ConsoleKey): (key, kind, footer
# words, the desk's words in ctrl+p). None of them means anything else on another screen
# (home: n t s r l d x); tests/unit/test_kinds_registry.py checks every kind has one.
KIND_KEYS = tuple(
    (spec.console_key.key, kind.value, spec.console_key.words, spec.console_key.desk_words)
    for kind, spec in KINDS.items() if spec.console_key is not None
)


class AccountScreen(DeskScreen):
    SUB_TITLE = N_("Account")
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="back", tooltip=N_("Back to the call (search); the account stays open")),
        *(Binding(key, f"file('{kind}')", words, id=f"file_{kind}", tooltip=N_("{desk_words} for this subscription").format(
                                                                                desk_words=desk_words))
          for key, kind, words, desk_words in KIND_KEYS),
        # The same key on a kind the rules refuse here says why (rule and reason), not nothing.
        *(Binding(key, f"refused('{kind}')", words, id=f"file_{kind}.refused", show=False)
          for key, kind, words, _desk_words in KIND_KEYS),
        # Listed in ctrl+p, not the footer: at 80 columns the footer keeps the kinds allowed.
        Binding("o", "app.organization_tickets", N_("Org tickets"), id="org_tickets", show=False,
                tooltip=N_("This organization's tickets")),
        Binding("t", "app.my_tickets", N_("My tickets"), id="my_tickets", show=False, tooltip=N_("The tickets you filed")),
        Binding("f5", "reload", N_("Reload"), id="reload", show=False, tooltip=N_("Read the account again")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._selected = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="account-summary")
        with Horizontal(id="account-panes"):
            yield OptionList(id="subscriptions")
            with Vertical(id="account-detail"):
                yield Static(id="subscription-facts")
                yield OptionList(id="kinds")
        yield Footer()

    def on_mount(self) -> None:
        self._show()
        self.query_one("#subscriptions", OptionList).focus()

    def on_screen_resume(self) -> None:
        if self.call is not None and self.call.account_stale:
            self.action_reload()

    @property
    def account(self):
        return self.call.account if self.call is not None else None

    # --- rendering ---------------------------------------------------------------------------

    def _show(self) -> None:
        account = self.account
        if account is None:
            return
        org, caller = account.organization, account.caller
        summary = [
            Content.assemble((org.name, "bold"), f"  {org.ref}", (f"  {org.url}" if org.url else "", MUTED)),
            Content.assemble(("", ""), _(", ").join(org.address_lines)),
            Content.assemble(
                (_("Caller: "), "bold"), caller.name, f" <{caller.user_id}>",
                f" · {roles_text(caller.roles)}",
                (_(" · primary contact") if caller.is_primary_contact else "", ""),
                (_("  Phone on file (V-8): "), "bold"), caller.phone_on_file,
            ),
            Content.styled(
                _("Verified {clock_time}, good for this call until {clock_time_2} (V-7).").format(
                    clock_time=clock_time(account.call.verified_at), clock_time_2=clock_time(account.call.expires_at)),
                MUTED,
            ),
        ]
        self.query_one("#account-summary", Static).update(lines(summary))
        subs = self.query_one("#subscriptions", OptionList)
        subs.clear_options()
        for view in account.subscriptions:
            f = view.facts
            subs.add_option(
                Option(
                    Content.assemble((f.ref, "bold"), " ", f.name, "\n",
                                     (f"  {f.product.label} · {word(f.state)}", MUTED)),
                    id=f.ref,
                )
            )
        if account.subscriptions:
            subs.highlighted = min(self._selected, len(account.subscriptions) - 1)
            self._show_subscription(account.subscriptions[subs.highlighted])
        self.refresh_bindings()

    def _show_subscription(self, view) -> None:
        f = view.facts
        facts = [
            Content.assemble((f"{f.name} ", "bold"), f"({f.ref}) · {f.product.label} · {word(f.channel)}"
                             + (_(" · {platform} platform").format(platform=label(f.platform)) if f.platform else "")),
            Content.assemble(
                _("State {state} · term {start} to {end} · auto-renew {renew} · {licenses} licenses · bought "
                  "{bought}").format(state=word(f.state), start=day(f.term_start), end=day(f.term_end),
                                     renew=_("on") if f.auto_renew else _("off"), licenses=f.licenses_assigned,
                                     bought=day(f.purchased_at))
                + (_(" · cancelled {day}").format(day=day(f.cancelled_at)) if f.cancelled_at else "")
            ),
        ]
        if f.custom_domains:
            facts.append(Content(_("Custom domains: {join}").format(join=', '.join(f.custom_domains))))
        if f.campaigns:
            facts.append(Content(_("Campaigns: {campaigns}").format(
                campaigns=_(", ").join(f"{c.name} ({word(c.state)})" for c in f.campaigns))))
        if f.tickets:
            facts.append(Content.styled(
                _("Open tickets: {tickets}").format(
                    tickets=_(", ").join(f"{t.ref} {t.kind.label} ({t.status.label})" for t in f.tickets)), WARN))
        self.query_one("#subscription-facts", Static).update(lines(facts))
        kinds = self.query_one("#kinds", OptionList)
        highlighted = kinds.highlighted
        kinds.clear_options()
        for decision in view.decisions:
            kinds.add_option(Option(hang(decision_content(decision, decision.kind.label)), id=decision.kind.value))
        if view.resources:
            kinds.add_option(Option(hang(self._resources_content(view)), id=RESOURCES))
        if kinds.option_count:
            kinds.highlighted = min(highlighted or 0, kinds.option_count - 1)

    def _resources_content(self, view) -> Content:
        allowed = sum(1 for _, d in view.resources if d.allowed)
        head = Content.assemble(
            ("✓ " if allowed else "✗ ", OK if allowed else BAD), (_("Unsubscribe renewal resources"), "bold"),
            (_(" — {allowed} of {count} can be unsubscribed").format(allowed=allowed, count=len(view.resources)), OK if allowed else BAD),
        )
        parts = [head]
        for res, decision in view.resources:
            parts.append(Content.assemble(
                "   ", ("✓ " if decision.allowed else "✗ ", OK if decision.allowed else BAD),
                (res.ref, "bold"), _(" {description}, effective {day}").format(
                                       description=res.description, day=day(res.effective_at)),
            ))
            parts += reason_lines(decision.reasons, "" if decision.allowed else BAD, indent="       ")
        return lines(parts)

    def _current(self):
        account = self.account
        index = self.query_one("#subscriptions", OptionList).highlighted
        if account is None or index is None or index >= len(account.subscriptions):
            return None
        return account.subscriptions[index]

    # --- navigation --------------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#subscriptions")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._selected = event.option_index
        view = self._current()
        if view is not None:
            self._show_subscription(view)
        self.refresh_bindings()  # the footer names the kinds this subscription allows

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "file":
            return self._allowed(str(parameters[0])) if parameters else False
        if action == "refused":
            return bool(parameters) and self.is_mounted and self._current() is not None and not self._allowed(
                str(parameters[0]))
        return True

    def action_refused(self, kind: str) -> None:
        """A kind's key where the rules refuse it: the rule and reason, as Enter on it shows."""
        view = self._current()
        if view is not None and kind != RESOURCES and not any(d.kind.value == kind for d in view.decisions):
            words = next(w for _k, k, _w, w in KIND_KEYS if k == kind)
            self.notify(_("Refused: {removeprefix} is not offered for {label} subscriptions.").format(
                            removeprefix=words.lower().removeprefix('file '), label=view.facts.product.label), title=_("Not offered"), severity="warning",
                        markup=False, timeout=10)
            return
        self._open(kind)

    def _allowed(self, kind: str) -> bool:
        view = self._current() if self.is_mounted else None
        if view is None:
            return False
        if kind == RESOURCES:
            return any(d.allowed for _, d in view.resources)
        return any(d.allowed for d in view.decisions if d.kind.value == kind)

    def action_file(self, kind: str) -> None:
        """One key per kind: the form for the highlighted subscription (as Enter on the kind)."""
        self._open(kind)

    @on(OptionList.OptionSelected, "#subscriptions")
    def _to_kinds(self) -> None:
        self.query_one("#kinds", OptionList).focus()

    @on(OptionList.OptionSelected, "#kinds")
    def _open_form(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self._open(event.option.id)

    def _open(self, kind: str) -> None:
        from deskapp.screens.ticket_form import TicketFormScreen

        view = self._current()
        if view is None:
            return
        if kind == RESOURCES:
            if not any(d.allowed for _, d in view.resources):
                reasons = "; ".join(str(r) for _, d in view.resources for r in d.reasons)
                self.notify(_("Refused: {reasons}").format(reasons=reasons), title=_("Unsubscribe renewal resources"), severity="warning",
                            markup=False, timeout=10)
                return
            self.app.push_screen(TicketFormScreen(view.facts.ref, RESOURCES))
            return
        decision = next((d for d in view.decisions if d.kind.value == kind), None)
        if decision is None:
            return
        if not decision.allowed:
            self.notify(
                _("Refused: {reasons}").format(reasons="; ".join(str(r) for r in decision.reasons)),
                title=decision.kind.label, severity="warning", markup=False, timeout=10,
            )
            return
        self.app.push_screen(TicketFormScreen(view.facts.ref, decision.kind.value))

    def action_back(self) -> None:
        self.app.pop_screen()

    # --- reloading ---------------------------------------------------------------------------

    def action_reload(self) -> None:
        if self.call is not None and self.call.verification_id is not None:
            self.reload(self.call.verification_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="account")
    def reload(self, verification_id: int) -> None:
        from tickets.account import account_view

        self.post_message(AccountLoaded(account_view(self.desk.opened_store, agent=self.desk.signed_in_agent,
                                                     verification_id=verification_id)))

    def on_account_loaded(self, message: AccountLoaded) -> None:
        if self.call is None:
            return
        self.call.account = message.account
        self.call.account_stale = False
        self._show()
