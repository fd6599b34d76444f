"""A call, first step: find the caller's organization by what the caller gives.

Exact search only (V-3) and the result is a list of opaque refs (V-4): nothing on file shows
before verification passes.
"""

from __future__ import annotations

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from deskapp.messages import CallStarted, OrganizationsFound
from deskapp.screens.base import DeskScreen
from deskapp.widgets.field import LabeledInput
from deskapp.widgets.format import error_text, when
from tickets.i18n import N_, _

SEARCH_FIELDS = ("search_org_name", "search_user_id", "search_phone")


class CallScreen(DeskScreen):
    SUB_TITLE = N_("Find the organization")
    BINDINGS = [
        Binding("ctrl+s", "search", N_("Search"), id="search", tooltip=N_("Find the organization by what the "
                                                                      "caller gave")),
        Binding("ctrl+r", "account", N_("Account"), id="account", tooltip=N_("Back to the verified caller's account")),
        Binding("escape", "app.end_call", N_("End call"), id="leave_call", show=False,
                tooltip=N_("Step back from the call: end it with a wrap-up note (as ctrl+g)")),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="call"):
            yield Static("", id="call-status", markup=False)
            yield Static(
                _("Ask for the organization name, a sign-in user ID or a phone number (with country code). "
                  "Only exact matches are found (V-3)."),
                classes="hint",
                markup=False,
            )
            values = self.call.search if self.call else {}
            yield LabeledInput(_("Organization name"), input_id="search_org_name", value=values.get("search_org_name", ""))
            yield LabeledInput(_("User ID"), input_id="search_user_id", value=values.get("search_user_id", ""))
            yield LabeledInput(_("Phone"), input_id="search_phone", value=values.get("search_phone", ""),
                               placeholder="+1 206 555 0100")
            yield Static(_("Organizations found (refs only until the caller is verified, V-4)"), classes="section")
            yield OptionList(id="found")
            yield Static("", id="call-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search_org_name", Input).focus()
        self._show_found()
        self._show_status()
        if self.call is not None and self.call.call_id is None:
            self.start_call()

    def on_screen_resume(self) -> None:
        self._show_status()
        self.refresh_bindings()

    @work(thread=True, exclusive=True, exit_on_error=False, group="call")
    def start_call(self) -> None:
        from tickets.verification import start_call

        self.post_message(CallStarted(start_call(self.desk.opened_store, self.desk.signed_in_agent)))

    def on_call_started(self, message: CallStarted) -> None:
        if self.call is not None:
            self.call.call_id = message.call_id
        self._show_status()

    def _show_status(self) -> None:
        call = self.call
        status = self.query_one("#call-status", Static)
        if call is None:
            status.update("")
            return
        text = _("Call {number} · started {time}").format(number=call.call_id if call.call_id is not None else '…', time=when(self.desk.now()))
        if call.account is not None:
            text += _(" · verified: {ref} (ctrl+r: account)").format(ref=call.account.organization.ref)
        status.update(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "account":
            return self.call is not None and self.call.account is not None
        return True

    # --- searching ---------------------------------------------------------------------------

    @on(Input.Changed)
    def _remember(self, event: Input.Changed) -> None:
        if event.input.id in SEARCH_FIELDS:
            self._query_field = event.input.id
            if self.call is not None:
                self.call.search[event.input.id] = event.value

    def on_key(self, event: events.Key) -> None:
        """On the list of organizations found, typing, backspace and ctrl+u go back to the
        query field last typed in (the list has no use for them), so a new query can be typed
        and run with ctrl+s straight away."""
        found = self.query_one("#found", OptionList)
        if self.focused is not found:
            return
        if event.is_printable and event.character:
            edit = lambda field: field.insert_text_at_cursor(event.character)  # noqa: E731
        elif event.key in ("ctrl+u", "backspace"):
            edit = Input.action_delete_left_all if event.key == "ctrl+u" else Input.action_delete_left
        else:
            return
        event.stop()
        event.prevent_default()
        field = self.query_one(f"#{getattr(self, '_query_field', SEARCH_FIELDS[0])}", Input)
        field.focus()
        field.cursor_position = len(field.value)
        edit(field)

    @on(Input.Submitted)
    def action_search(self) -> None:
        values = {name: self.query_one(f"#{name}", Input).value for name in SEARCH_FIELDS}
        for name in SEARCH_FIELDS:
            self.query_one(f"#field-{name}", LabeledInput).set_message(None)
        if not any(v.strip() for v in values.values()):
            self.query_one("#call-message", Static).update(_("Type at least one of the three."))
            return
        self.query_one("#call-message", Static).update(_("Searching…"))
        self.search(values["search_org_name"], values["search_user_id"], values["search_phone"])

    @work(thread=True, exclusive=True, exit_on_error=False, group="search")
    def search(self, org_name: str, user_id: str, phone: str) -> None:
        from tickets.verification import find_organizations

        handles = find_organizations(self.desk.opened_store, org_name=org_name, user_id=user_id, phone=phone)
        self.post_message(OrganizationsFound(handles))

    def on_organizations_found(self, message: OrganizationsFound) -> None:
        if self.call is not None:
            self.call.handles = list(message.handles)
        self._show_found()
        found = self.query_one("#found", OptionList)
        if message.handles:
            found.focus()
            self.query_one("#call-message", Static).update(
                _("Choose the organization (enter) to verify the caller.")
            )
        else:
            self.query_one("#call-message", Static).update(
                _("No organization matches exactly. Ask the caller to spell it as it shows on the subscription.")
            )

    def _show_found(self) -> None:
        found = self.query_one("#found", OptionList)
        found.clear_options()
        for handle in self.call.handles if self.call else []:
            found.add_option(Option(handle.ref, id=str(handle.id)))
        if found.option_count:
            found.highlighted = 0

    def worker_failed(self, worker, error) -> None:
        errors = getattr(error, "errors", None)
        if worker.group == "search" and isinstance(errors, dict):
            names = {"org_name": "search_org_name", "user_id": "search_user_id", "phone": "search_phone"}
            for key, text in errors.items():
                if key in names:
                    self.query_one(f"#field-{names[key]}", LabeledInput).set_message(text)
        self.query_one("#call-message", Static).update(error_text(error))

    # --- choosing ----------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#found")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        from deskapp.screens.verification import VerificationScreen

        if self.call is None:
            return
        handle = next((h for h in self.call.handles if str(h.id) == event.option.id), None)
        if handle is None:
            return
        self.call.choose_organization(handle)
        self.app.push_screen(VerificationScreen())

    def action_account(self) -> None:
        from deskapp.screens.account import AccountScreen

        if self.call is not None and self.call.account is not None:
            self.app.push_screen(AccountScreen())
