"""Blind verification (V-1 .. V-5): the agent types what the caller says.

Nothing on file shows here: no field is prefilled (V-4), the result is pass or fail as a whole
with the attempts left, never which factor missed. Format problems are flagged per field as the
agent types (identity's checks) and cost no attempt; three failures lock the organization (V-5).
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Input, Static

from deskapp.header import refresh_title
from deskapp.identity_words import identity_text
from deskapp.messages import AccountLoaded, LockoutChecked, VerificationDone
from deskapp.screens.base import DeskScreen
from deskapp.widgets.field import LabeledInput
from deskapp.widgets.format import when
from tickets.i18n import N_, _

# Field id -> the key identity.check_claim_format reports it under.
CLAIM_KEYS = {
    "user_id": "user_id",
    "phone": "phone",
    "first_name": "contact_first_name",
    "last_name": "contact_last_name",
    "org_name": "org_name",
    "street1": "address.street",
    "city": "address.city",
    "country": "address.country",
    "org_url": "org_url",
}


class VerificationScreen(DeskScreen):
    SUB_TITLE = N_("Verify the caller")
    BINDINGS = [
        Binding("ctrl+s", "verify", N_("Verify"), id="verify", tooltip=N_("Check what the caller said against the "
                                                                      "directory")),
        Binding("escape", "back", N_("Back"), id="back", tooltip=N_("Back to the search; what you typed is kept")),
        Binding("ctrl+l", "clear", N_("Clear"), id="verify.clear",
                tooltip=N_("Empty every field of the form (no attempt is used) and start again at the user ID")),
    ]

    def __init__(self) -> None:
        super().__init__()
        assert self.call is not None and self.call.handle is not None
        self.handle = self.call.handle
        self._last_phone = ""
        self._ready = False  # set once the form is mounted: keys typed ahead before it are dropped

    def compose(self) -> ComposeResult:
        from deskapp import validators as v

        typed = self.call.verify_values if self.call else {}
        handle = self.handle

        def field(label: str, name: str, validators=(), required=False, placeholder="") -> LabeledInput:
            return LabeledInput(
                label, input_id=name, value=typed.get(name, ""), validators=validators,
                required=required, placeholder=placeholder, max_length=320,
            )

        yield Header()
        yield Static(
            _("Verify the caller for {ref}: type exactly what the caller says (the contact is the "
              "organization's primary contact). Nothing on file shows before a pass (V-4); never take a "
              "password (V-6).").format(ref=handle.ref),
            id="verify-title",
            markup=False,
        )
        with VerticalScroll(id="verify-form"):
            yield field(_("Sign-in user ID"), "user_id", [v.UserIdFormat()], required=True, placeholder=_("name@example.com"))
            yield field(_("Phone on account"), "phone", [v.PhoneFormat(handle.region)], required=True)
            yield field(_("Contact first name"), "first_name", [v.PersonName()], required=True)
            yield field(_("Contact last name"), "last_name", [v.PersonName()], required=True)
            yield field(_("Organization name"), "org_name", [v.OrganizationName()], required=True)
            yield field(_("Street line 1"), "street1", [v.AddressLine()], required=True)
            yield field(_("Street line 2"), "street2", [v.AddressLine()])
            yield field(_("City"), "city", [v.AddressLine()], required=True)
            yield field(_("Region / state"), "region")
            yield field(_("Postal code"), "postal_code")
            yield field(_("Country (2 letters)"), "country", [v.CountryCode()], required=True, placeholder=_("US"))
            if handle.requires_url:
                yield field(_("Organization URL"), "org_url", [v.OrganizationUrl()], required=True,
                            placeholder=_("e.g. yourorg.crm.dynamics.com"))
        yield Static("", id="verify-result", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#user_id", Input).focus()
        self._last_phone = self.query_one("#phone", Input).value
        self._show_state()
        self.check_lockout()
        self._ready = True

    # --- live feedback -----------------------------------------------------------------------

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        name = event.input.id or ""
        if name == "phone":
            self._format_phone(event.input)
        if self.call is not None and name:
            self.call.verify_values[name] = event.input.value

    def _format_phone(self, field: Input) -> None:
        """As-you-type formatting with the organization's region, only while typing forward."""
        from identity import format_as_you_type

        value = field.value
        grew = len(value) > len(self._last_phone)
        if grew and field.cursor_position == len(value):
            formatted = format_as_you_type(value, self.handle.region)
            if formatted and formatted != value:
                field.value = formatted
                field.cursor_position = len(formatted)
        self._last_phone = field.value

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        self.focus_next()

    # --- verifying ---------------------------------------------------------------------------

    def _claim(self):
        from identity import Address, CallerClaim

        value = {name: self.query_one(f"#{name}", Input).value for name in self._field_ids()}
        return CallerClaim(
            user_id=value["user_id"],
            phone=value["phone"],
            contact_first_name=value["first_name"],
            contact_last_name=value["last_name"],
            org_name=value["org_name"],
            address=Address(
                street_lines=tuple(x for x in (value["street1"], value["street2"]) if x.strip()),
                city=value["city"],
                region=value["region"],
                postal_code=value["postal_code"],
                country=value["country"],
            ),
            org_url=value.get("org_url", ""),
        )

    def _field_ids(self) -> list[str]:
        return [f.input.id for f in self.query(LabeledInput) if f.input.id]

    def _show_problems(self, problems: dict[str, str]) -> None:
        by_key = {key: name for name, key in CLAIM_KEYS.items()}
        for field in self.query(LabeledInput):
            key = CLAIM_KEYS.get(field.input.id or "")
            problem = problems.get(key) if key else None
            field.set_message(identity_text(problem) if problem else None)
        first = next((by_key[k] for k in CLAIM_KEYS.values() if k in problems and k in by_key), None)
        if first and self.query(f"#{first}"):
            self.query_one(f"#{first}", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "verify":
            return None if self._locked() else True
        return True

    def _locked(self) -> bool:
        call = self.call
        return bool(call and call.locked_until is not None and self.desk.now() < call.locked_until)

    def action_verify(self) -> None:
        from identity import check_claim_format

        if not self._ready:  # ctrl+s typed ahead while the form was still mounting
            return
        if self._locked():
            self._show_state()
            return
        claim = self._claim()
        problems = check_claim_format(claim, self.handle.region, self.handle.requires_url)
        self._show_problems(problems)
        result = self.query_one("#verify-result", Static)
        if problems:
            result.update(_("Fix the {count} marked field(s): no attempt was used (V-4).").format(count=len(problems)))
            result.set_classes("-warning")
            return
        result.update(_("Checking…"))
        result.set_classes("")
        self.verify(claim)

    @work(thread=True, exclusive=True, exit_on_error=False, group="verify")
    def verify(self, claim) -> None:
        from tickets.verification import verify_caller

        call = self.call
        result = verify_caller(
            self.desk.opened_store, agent=self.desk.signed_in_agent, organization_id=self.handle.id, claim=claim,
            call_id=call.call_id if call else None,
        )
        self.post_message(VerificationDone(result))

    @work(thread=True, exclusive=True, exit_on_error=False, group="lockout")
    def check_lockout(self) -> None:
        from tickets.verification import lockout_status

        self.post_message(LockoutChecked(lockout_status(self.desk.opened_store, self.handle.id)))

    def on_lockout_checked(self, message: LockoutChecked) -> None:
        call = self.call
        if call is None:
            return
        call.locked_until = message.state.locked_until if message.state.locked else None
        if not message.state.locked and message.state.attempts_left < 3:
            call.attempts_left = message.state.attempts_left
        self._show_state()

    def on_verification_done(self, message: VerificationDone) -> None:
        call = self.call
        if call is None:
            return
        result = message.result
        if result.passed:
            call.verification_id = result.verification_id
            call.attempts_left = None
            call.locked_until = None
            self.query_one("#verify-result", Static).update(_("Verified. Opening the account…"))
            self.query_one("#verify-result", Static).set_classes("-success")
            self.load_account(result.verification_id)
            return
        call.attempts_left = result.attempts_left
        call.locked_until = result.locked_until
        self._show_state(failed=True)
        self._select_for_retyping()

    def _select_for_retyping(self) -> None:
        """After a failed attempt every field's text is selected and the user ID has the focus:
        what the caller says next replaces the old answers instead of being appended to them
        (a field reached with Tab selects its text too: Input.select_on_focus)."""
        from textual.widgets.input import Selection

        for field in self.query(LabeledInput):
            field.input.selection = Selection(0, len(field.input.value))
        self.query_one("#user_id", Input).focus()

    def action_clear(self) -> None:
        """ctrl+l: every field emptied, their messages gone, back to the user ID (no attempt used)."""
        for field in self.query(LabeledInput):
            field.input.value = ""
            field.set_message(None)
        if self.call is not None:
            self.call.verify_values.clear()
        self._last_phone = ""
        self.query_one("#user_id", Input).focus()
        if self.call is not None and (self._locked() or self.call.attempts_left is not None):
            self._show_state()  # the lock or the attempts left stay in view
            return
        result = self.query_one("#verify-result", Static)
        result.update(_("Form cleared: type what the caller says (V-4)."))
        result.set_classes("")

    def _show_state(self, failed: bool = False) -> None:
        call = self.call
        result = self.query_one("#verify-result", Static)
        if call is None:
            return
        if self._locked():
            until = when(call.locked_until)
            result.update(
                _("Verification is locked for {ref} until {until} after three failed attempts (V-5). Ask a "
                  "supervisor to unlock it (V-5) or call back after {until}.").format(
                    ref=self.handle.ref, until=until)
            )
            result.set_classes("-error")
        elif failed:
            left = call.attempts_left or 0
            result.update(
                _("Verification failed. {left} attempt{value} left before {ref} is locked for 24 hours (V-5).").format(
                    left=left, value='s' if left != 1 else '', ref=self.handle.ref)
            )
            result.set_classes("-error")
        elif call.attempts_left is not None:
            result.update(_("{attempts_left} attempt(s) left before {ref} is locked (V-5).").format(
                              attempts_left=call.attempts_left, ref=self.handle.ref))
            result.set_classes("-warning")
        self.refresh_bindings()

    @work(thread=True, exclusive=True, exit_on_error=False, group="account")
    def load_account(self, verification_id: int) -> None:
        from tickets.account import account_view

        account = account_view(self.desk.opened_store, agent=self.desk.signed_in_agent, verification_id=verification_id)
        self.post_message(AccountLoaded(account))

    def on_account_loaded(self, message: AccountLoaded) -> None:
        from deskapp.screens.account import AccountScreen

        call = self.call
        if call is None:
            return
        call.account = message.account
        call.verify_values.clear()  # typed caller details are not kept past the pass
        refresh_title(self.app)  # the header names the verified caller during the call
        self.app.switch_screen(AccountScreen())

    def worker_failed(self, worker, error) -> None:
        result = self.query_one("#verify-result", Static)
        errors = getattr(error, "errors", None)
        if worker.group == "verify" and isinstance(errors, dict):
            self._show_problems(errors)
            result.update(_("Fix the marked fields: no attempt was used (V-4)."))
            result.set_classes("-warning")
        else:
            result.update(str(error) if hasattr(error, "rule") else _("Nothing was checked; try again."))
            result.set_classes("-error")

    def action_back(self) -> None:
        self.app.pop_screen()
