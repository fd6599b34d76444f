"""A labelled one-line input with its own inline message (per-field format feedback, V-4)."""

from __future__ import annotations

from collections.abc import Iterable

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.validation import Validator
from textual.widgets import Input, Label, Static

from deskapp.validators import TYPED_TEXT


class LabeledInput(Vertical):
    """`Label  [input.............]` with a message line under it shown only when needed.

    The message shows the validators' verdict as the agent types (only for a non-empty value:
    a field not yet reached is not an error) and any message the screen sets on submit.
    """

    DEFAULT_CSS = """
    LabeledInput {
        height: auto;
        & > Horizontal { height: 1; }
        & Label.field-label { width: 22; color: $text-muted; }
        & Input { width: 1fr; }
        & .field-message { display: none; padding-left: 22; color: $text-error; height: auto; }
        & .field-message.-shown { display: block; }
        &.-required Label.field-label { color: $text; }
    }
    """

    def __init__(
        self,
        label: str,
        *,
        input_id: str,
        value: str = "",
        placeholder: str = "",
        validators: Iterable[Validator] = (),
        password: bool = False,
        required: bool = False,
        max_length: int = 0,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id or f"field-{input_id}", classes="-required" if required else "")
        self._label = label + (" *" if required else "")
        self._message = ""
        self._input = Input(
            value=value,
            placeholder=placeholder,
            validators=list(validators),
            password=password,
            id=input_id,
            compact=True,
            max_length=max_length,
            validate_on=["changed", "submitted"],
            restrict=TYPED_TEXT,  # V-3: a control character is refused as it is typed or pasted
        )

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self._label, classes="field-label")
            yield self._input
        yield Static("", classes="field-message", markup=False)

    @property
    def label(self) -> str:
        """The field's name as the agent reads it (without the required mark)."""
        return self._label.removesuffix(" *")

    @property
    def input(self) -> Input:
        return self._input

    @property
    def value(self) -> str:
        return self._input.value

    def set_message(self, message: str | None) -> None:
        """Show (or clear, with None) the message under the field."""
        message = message or ""
        if message == self._message:
            return  # typing must not relayout the form on every key
        self._message = message
        note = self.query_one(".field-message", Static)
        note.update(message)
        note.set_class(bool(message), "-shown")
        self._input.set_class(bool(message), "-invalid")

    @property
    def message(self) -> str:
        return self._message

    @on(Input.Changed)
    def _feedback(self, event: Input.Changed) -> None:
        result = event.validation_result
        if result is None or result.is_valid or not event.value.strip():
            self.set_message(None)
        else:
            self.set_message("; ".join(result.failure_descriptions))
