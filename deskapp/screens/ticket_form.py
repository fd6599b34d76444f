"""One guided form per ticket kind, driven by the policy's Decision.

The checklist (Decision.checklist) is confirmed item by item with the caller; the kind's own
fields follow; the consequences (T-1) are decided again, without the database, each time a
field that changes them changes. Filing asks for confirmation, then files once (T-3: the
idempotency key belongs to the form state, so a retry after an error reuses it).

What the agent types lives in the call's FormState for (subscription, kind): Escape goes back
to the account and reopening the form shows it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Footer, Header, Input, Label, Static

from deskapp.messages import TicketFiled
from deskapp.screens.base import DeskScreen
from deskapp.validators import parse_date, parse_desk_datetime
from deskapp.widgets.checklist import CheckList
from deskapp.widgets.field import LabeledInput
from deskapp.widgets.format import (
    BAD,
    MUTED,
    OK,
    consequences_content,
    day,
    desk_zone,
    field_label,
    lines,
    one_sentence,
    reason_lines,
)
from deskapp.widgets.hanging import hang
from tickets.desk_time import zone_key
from tickets.i18n import N_, _

if TYPE_CHECKING:  # pragma: no cover
    from deskapp.state import CallState
    from tickets.account import AccountView

FREE_TEXT = ("reason", "note")


class TicketFormScreen(DeskScreen):
    SUB_TITLE = N_("File a ticket")
    BINDINGS = [
        Binding("ctrl+s", "file", N_("File ticket"), id="file", tooltip=N_("Check, confirm with the caller, then "
                                                                       "file")),
        Binding("escape", "back", N_("Back"), id="back", tooltip=N_("Back to the account; what you typed is kept")),
        Binding("ctrl+a", "select_allowed", N_("Select all allowed"), id="select_allowed",
                tooltip=N_("U-1: choose every renewal resource the rules allow (refused ones stay out)")),
    ]

    def __init__(self, subscription_ref: str, kind: str) -> None:
        super().__init__()
        from tickets.enums import TicketKind
        from tickets.kinds import kind_spec

        assert self.call is not None and self.call.account is not None
        self.subscription_ref = subscription_ref
        self.kind = TicketKind(kind)
        self.spec = kind_spec(self.kind)  # label, form fields, refund request: tickets.kinds
        self.state = self.call.form(subscription_ref, kind)
        self.view = self.call.account.subscription(subscription_ref)
        self._checklist_shown: tuple[tuple[str, str], ...] = ()
        self._filing = False
        # C-4/C-5: the Refund box only where the policy allows a refund request at all (not for an
        # Office 365 trial, nor an Intune product key); a request kept from before is dropped.
        self.refund_offered = self.spec.refund_request and self._decide(refund_requested=False).refund_offered
        if not self.refund_offered:
            self.state.refund_requested = False

    @property
    def per_resource(self) -> bool:
        """A form for renewal resources (U-1), one ticket each. (Not `batch`: that is Widget's.)"""
        return self.spec.per_resource

    @property
    def on_call(self) -> CallState:
        """The call the form belongs to: it is opened only during a call with an account."""
        if self.call is None or self.call.account is None:
            raise RuntimeError("the ticket form is open without a call")
        return self.call

    @property
    def account(self) -> AccountView:
        account = self.on_call.account
        assert account is not None  # on_call checked it
        return account

    # --- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        from deskapp import validators as v
        from tickets.kinds import FORM_FIELDS, FieldType

        facts = self.view.facts
        values = self.state.values
        account = self.account

        def field(label: str, name: str, validators=(), required=False, placeholder="") -> LabeledInput:
            return LabeledInput(label, input_id=name, value=values.get(name, ""), validators=validators,
                                required=required, placeholder=placeholder, max_length=2000)

        yield Header()
        yield Static(
            Content.assemble((self.kind.label, "bold"), f" · {facts.name} ({facts.ref}) · {facts.product.label}",
                             (f" · {account.organization.ref}", MUTED)),
            id="form-title",
        )
        with Horizontal(id="form-panes"):
            with VerticalScroll(id="form"):
                # At the top: after a refused submit the reasons and the item focused show together.
                yield Static("", id="form-problems")
                if self.per_resource:
                    yield Static(_("Renewal resources to unsubscribe (space to choose, U-2)"), classes="section")
                    yield CheckList(id="resources", empty="no renewal resources", items=[
                        (res.ref, self._resource_prompt(res, decision)) for res, decision in self.view.resources
                    ], ticked=self.state.resources)
                yield Static(_("Confirm each item with the caller (space to tick)"), classes="section")
                # Composed with its items (pure policy, no database): never an empty box first.
                self._checklist_shown = self._checklist_items(self.decide())
                empty = "choose resources first" if self.per_resource else "nothing to confirm"
                yield CheckList(id="checklist", empty=empty, items=self._checklist_shown, ticked=self.state.confirmed)
                yield Static(_("Details"), classes="section")
                # The kind's own fields (tickets.kinds); which are required, the policy says.
                required = set() if self.per_resource else set(self.decide().required_fields)
                for name in self.spec.form_fields:
                    spec = FORM_FIELDS[name]
                    validator, placeholder = {
                        FieldType.DATE: (v.IsoDate, _("YYYY-MM-DD, by {day}").format(day=day(facts.term_end))),
                        FieldType.DATETIME: (v.DeskDateTime, f"YYYY-MM-DD HH:MM, {zone_key(desk_zone())}"),
                        FieldType.EMAIL: (v.EmailAddress, "it@example.com"),
                    }[spec.type]
                    yield field(_(spec.label), name, [validator()], required=name in required, placeholder=placeholder)
                if self.refund_offered:
                    with Horizontal(id="refund-row"):
                        yield Label(_("Refund"), classes="field-label")
                        yield CheckList(id="refund_requested")
                yield field((_("Reason") if self.per_resource else _("Caller's reason")), "reason", [v.NoCredential()],
                            required=self.per_resource)
                yield field(_("Note"), "note", [v.NoCredential()])
            with VerticalScroll(id="consequences-pane"):
                yield Static(_("Consequences (T-1)"), classes="section")
                yield Static(id="consequences")
        yield Footer()

    def _resource_prompt(self, res, decision) -> Content:
        head = Content.assemble((res.ref, "bold"), _(" {description}, effective {day}").format(
                                                       description=res.description, day=day(res.effective_at)))
        if decision.allowed:
            return head
        return lines([head, *reason_lines(decision.reasons, BAD, indent="  ")])

    def on_mount(self) -> None:
        if self.refund_offered:
            self.query_one("#refund_requested", CheckList).set_items(
                [("refund", _("the caller asks for a refund (C-4): it goes to review and needs a callback (V-8)"))],
                {"refund"} if self.state.refund_requested else set(),
            )
        self._redecide()
        self._focus_first()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select_allowed":
            return self.per_resource
        return True

    def action_select_allowed(self) -> None:
        resources = self.query_one("#resources", CheckList)
        resources.tick(res.ref for res, decision in self.view.resources if decision.allowed)
        resources.focus()

    def _focus_first(self) -> None:
        self.query_one("#resources" if self.per_resource else "#checklist", CheckList).focus()

    # --- deciding again as fields change (pure, no database) ---------------------------------

    def decide(self) -> Any:
        """The policy's answer for what is typed now: a Decision, or a BatchDecision."""
        from tickets import policy

        if self.per_resource:
            chosen = [res for res, _ in self.view.resources if res.ref in self.state.resources]
            return policy.decide_batch(chosen, self.account.caller_facts, self.desk.now(), desk_zone())
        return self._decide(refund_requested=self.state.refund_requested)

    def _decide(self, *, refund_requested: bool) -> Any:
        from tickets import policy

        requested = parse_date(self.state.values.get("requested_date", ""))
        return policy.decide(
            self.kind, self.view.facts, self.account.caller_facts, self.desk.now(),
            requested_date=requested, refund_requested=refund_requested, zone=desk_zone(),
        )

    def _checklist_items(self, decided) -> tuple[tuple[str, str], ...]:
        if not self.per_resource:
            return tuple((item.key, f"{item.text} ({item.rule})") for item in decided.checklist)
        texts: dict[str, list[str]] = {}
        rules: dict[str, str] = {}
        for _res, decision in decided.allowed:
            for item in decision.checklist:
                texts.setdefault(item.key, []).append(item.text)
                rules[item.key] = item.rule
        # One sentence per item for the whole batch, not the same words once per resource.
        return tuple((key, one_sentence(t) + f" ({rules[key]})") for key, t in texts.items())

    def _redecide(self) -> None:
        decided = self.decide()
        items = self._checklist_items(decided)
        if items != self._checklist_shown:
            self.query_one("#checklist", CheckList).set_items(items, self.state.confirmed)
            self._checklist_shown = items
        self.query_one("#consequences", Static).update(hang(self._consequences(decided)))

    def _consequences(self, decided) -> Content:
        if self.per_resource:
            if not self.state.resources:
                return Content.styled(_("Choose the resources to see what follows."), MUTED)
            return self._batch_consequences(decided)
        if not decided.allowed:
            return lines([Content.styled(_("Refused as it stands:"), "bold " + BAD),
                          *reason_lines(decided.reasons, BAD)])
        return consequences_content(
            decided.consequences.as_dict(), needs_review=decided.needs_review, needs_callback=decided.needs_callback,
        )

    def _batch_consequences(self, decided) -> Content:
        """Every chosen resource on its own line (so all of them show), then what follows for
        each of them once; refused ones with their reasons."""
        allowed, refused = decided.allowed, decided.refused
        parts: list[Content] = [Content.styled(
            _("{count} to unsubscribe").format(count=len(allowed))
            + (_(", {count} refused").format(count=len(refused)) if refused else ""), "bold")]
        for res, decision in allowed:
            effective = decision.consequences.effective_date if decision.consequences else None
            parts.append(
                Content.assemble(("✓ ", OK), (res.ref, "bold"), _(" {description}, effective {day}").format(
                                                                      description=res.description, day=day(effective)))
            )
        for res, decision in refused:
            parts.append(Content.assemble(("✗ ", BAD), (res.ref, "bold"), f" {res.description}", (_(" refused"), BAD)))
            parts += reason_lines(decision.reasons, BAD, indent="    ")
        if allowed:
            shared = [d.consequences.as_dict() for _, d in allowed if d.consequences]
            first = dict(shared[0]) if shared else {}
            notes = [n for n in first.get("notes", []) if all(n in other.get("notes", []) for other in shared)]
            first.update(effective_date="as listed above", notes=notes)
            parts += [Content(""), Content.styled(_("For each resource to unsubscribe:"), "bold"),
                      consequences_content(first, needs_review=False, needs_callback=False)]
        return lines(parts)

    # --- keeping what is typed ---------------------------------------------------------------

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        name = event.input.id or ""
        self.state.values[name] = event.value
        if name == "requested_date":
            self._redecide()

    @on(Input.Submitted)
    def _next(self) -> None:
        self.focus_next()

    @on(CheckList.Changed, "#refund_requested")
    def _refund(self, event: CheckList.Changed) -> None:
        self.state.refund_requested = bool(event.selected)
        self._redecide()

    @on(CheckList.Changed, "#checklist")
    def _confirmed(self, event: CheckList.Changed) -> None:
        shown = {key for key, _ in self._checklist_shown}
        self.state.confirmed = (self.state.confirmed - shown) | set(event.selected)

    @on(CheckList.Changed, "#resources")
    def _resources(self, event: CheckList.Changed) -> None:
        self.state.resources = set(event.selected)
        self._redecide()

    # --- filing ------------------------------------------------------------------------------

    def _fields(self) -> dict[str, str]:
        values = self.state.values
        fields: dict[str, str] = {}
        from tickets.kinds import FORM_FIELDS, FieldType

        for name in self.spec.form_fields:
            if name == "requested_date":
                continue  # its own column on the ticket (FilingRequest.requested_date)
            typed = values.get(name, "").strip()
            when = parse_desk_datetime(typed) if FORM_FIELDS[name].type is FieldType.DATETIME else None
            fields[name] = when.isoformat() if when else typed
        note = values.get("note", "").strip()
        if note:
            fields["note"] = note
        return fields

    def _problems(self, decided) -> list[str]:
        """Everything that stops filing now, checked here first so no attempt is wasted."""
        from identity import find_credential
        from tickets import policy

        problems: list[str] = []
        for labeled in self.query(LabeledInput):
            labeled.set_message(None)
            value = labeled.value
            if value.strip():
                result = labeled.input.validate(value)
                if result is not None and not result.is_valid:
                    labeled.set_message("; ".join(result.failure_descriptions))
                    problems.append(f"{labeled.label}: {'; '.join(result.failure_descriptions)}")
        for name in (*FREE_TEXT, "it_contact"):
            text = self.state.values.get(name, "")
            if text and find_credential(text):
                problems.append("V-6: " + _("the {field} looks like it holds a password, PIN or code: remove "
                                            "it").format(field=field_label(name)))
        if problems:
            return problems
        now = self.desk.now()
        fields: dict[str, object] = dict(self._fields())
        requested = self.state.values.get("requested_date", "").strip()
        if requested:
            fields["requested_date"] = requested
        reason = self.state.values.get("reason", "").strip()
        if reason:
            fields["reason"] = reason
        confirmed = self.state.confirmed
        if self.per_resource:
            if not self.state.resources:
                return ["U-2: choose at least one renewal resource"]
            if not decided.allowed:
                return [f"{res.ref}: {r}" for res, d in decided.refused for r in d.reasons]
            blocking = []
            for _kind, decision in decided.allowed:
                for reason_ in policy.validate_filing(decision, confirmed=confirmed, fields=fields, now=now,
                                                      zone=desk_zone()):
                    if str(reason_) not in blocking:
                        blocking.append(str(reason_))
            return blocking
        return [str(r) for r in policy.validate_filing(decided, confirmed=confirmed, fields=fields, now=now,
                                                       zone=desk_zone())]

    def _show_problems(self, problems: list[str], heading: str = N_("Cannot file yet:")) -> None:
        box = self.query_one("#form-problems", Static)
        if not problems:
            box.update("")
            box.set_class(False, "-shown")
            return
        box.update(hang(lines([Content.styled(_(heading) if heading else "", "bold " + BAD),
                               *[Content.styled(f"  • {p}", BAD) for p in problems]])))
        box.set_class(True, "-shown")
        form = self.query_one("#form", VerticalScroll)
        self.call_after_refresh(form.scroll_home, animate=False)

    def request(self):
        from tickets.filing import FilingRequest

        values = self.state.values
        return FilingRequest(
            kind=self.kind,
            subscription_ref=self.subscription_ref,
            idempotency_key=self.state.idempotency_key,
            resource_refs=tuple(sorted(self.state.resources)) if self.per_resource else (),
            requested_date=parse_date(values.get("requested_date", "")),
            refund_requested=self.state.refund_requested if self.spec.refund_request else False,
            reason=values.get("reason", "").strip(),
            fields=self._fields(),
            confirmed=frozenset(self.state.confirmed & {key for key, _ in self._checklist_shown}),
        )

    def action_file(self) -> None:
        if self._filing:
            return
        decided = self.decide()
        problems = self._problems(decided)
        self._show_problems(problems)
        if problems:
            self._focus_first_missing()
            return
        self.confirm_and_file(decided)

    def _focus_first_missing(self) -> None:
        """After a refused submit: the first checklist item still to confirm, else the first
        field with a message or still empty and required, else the resources."""
        missing = [key for key, _ in self._checklist_shown if key not in self.state.confirmed]
        if missing:
            checklist = self.query_one("#checklist", CheckList)
            checklist.focus(scroll_visible=False)
            # After the problems box has been laid out and the form scrolled home.
            self.call_after_refresh(lambda: self.call_after_refresh(checklist.move_to, missing[0]))
            return
        for labeled in self.query(LabeledInput):
            if labeled.message or (labeled.has_class("-required") and not labeled.value.strip()):
                labeled.input.focus()
                return
        if self.per_resource:
            self.query_one("#resources", CheckList).focus()

    def _summary(self, decided) -> Content:
        facts = self.view.facts
        head = Content.assemble((_("File "), ""), (self.kind.label, "bold"), _(" for {name} ({ref})").format(
                                                                              name=facts.name, ref=facts.ref))
        if self.per_resource:
            refs = ", ".join(res.ref for res, _ in decided.allowed)
            parts = [head, Content(_("Resources: {refs}").format(refs=refs))]
            if decided.refused:
                parts.append(Content.styled(
                    "Refused and left out: " + ", ".join(res.ref for res, _ in decided.refused), BAD))
            return lines(parts)
        c = decided.consequences
        parts = [head, Content(_("Effective {value}").format(value=day(c.effective_date) if c else '—'))]
        if decided.needs_review:
            parts.append(
                Content(_("It goes to a supervisor for review (X-2) and needs a callback to the number on file "
                          "(V-8)."))
            )
        parts.append(Content.styled(_("Have you read the consequences to the caller?"), MUTED))
        return lines(parts)

    @work(exclusive=True, exit_on_error=False, group="confirm")
    async def confirm_and_file(self, decided) -> None:
        from deskapp.screens.confirm import ConfirmScreen

        if await self.app.push_screen_wait(ConfirmScreen(_("File the ticket?"), self._summary(decided))):
            self._filing = True
            self._show_problems([], "")
            self.query_one("#form-problems", Static).update(_("Filing…"))
            self.file(self.request())

    @work(thread=True, exclusive=True, exit_on_error=False, group="file")
    def file(self, request) -> None:
        from tickets.filing import file_ticket

        call = self.on_call
        if call.verification_id is None:  # the account is shown only after a passed verification
            raise RuntimeError("no verification to file the ticket under")
        result = file_ticket(
            self.desk.opened_store,
            agent=self.desk.signed_in_agent,
            verification_id=call.verification_id,
            request=request,
        )
        self.post_message(TicketFiled(result))

    def on_ticket_filed(self, message: TicketFiled) -> None:
        from deskapp.screens.filed import FiledScreen

        self._filing = False
        if self.call is not None:
            self.call.forget_form(self.subscription_ref, self.kind.value)
            self.call.account_stale = True
        self.query_one("#form-problems", Static).update("")
        self.app.push_screen(FiledScreen(message.result), callback=self._after_filed)

    def _after_filed(self, _: None) -> None:
        self.app.pop_screen()  # back to the account (not awaited: this runs on the form's pump)

    def worker_failed(self, worker, error) -> None:
        """Keep everything typed (and the idempotency key, T-3); say what went wrong here too."""
        self._filing = False
        errors = getattr(error, "errors", None)
        if isinstance(errors, dict):
            for key, text in errors.items():
                if self.query(f"#field-{key}"):
                    self.query_one(f"#field-{key}", LabeledInput).set_message(text)
            problems = [f"{field_label(k)}: {t}" for k, t in errors.items()]
        elif isinstance(errors, list):
            problems = list(errors)
        else:
            problems = [str(error) if hasattr(error, "rule") else
                        f"unexpected error, nothing was saved: {type(error).__name__}"]
        if type(error).__name__ == "Conflict" and self.call is not None:
            self.call.account_stale = True
        self._show_problems(problems, _("Not filed (what you typed is kept):"))

    def action_back(self) -> None:
        self.app.pop_screen()
