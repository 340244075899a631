"""A yes-or-no dialog that shows exactly what is about to change."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmDialog(ModalScreen[bool]):
    """Ask before a write; dismissed with ``True`` to go ahead."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Write"),
        Binding("n,escape", "cancel", "Cancel"),
    ]

    def __init__(
        self, title: str, change: Content, confirm_label: str = "Write"
    ) -> None:
        """Create the dialog.

        Args:
            title: What is about to happen, as a question.
            change: The change itself, old and new.
            confirm_label: The label of the button that goes ahead.
        """
        super().__init__()
        self.title_text = title
        self.change = change
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        """The question, the change and the two buttons."""
        with Vertical(id="dialog") as dialog:
            dialog.border_title = self.title_text
            yield Static(self.change, id="dialog-change")
            with Horizontal(id="dialog-buttons"):
                yield Button(
                    f"{self.confirm_label} (y)", variant="primary", id="confirm"
                )
                yield Button("Cancel (n)", id="cancel")

    def action_confirm(self) -> None:
        """Go ahead."""
        self.dismiss(True)

    def action_cancel(self) -> None:
        """Change nothing."""
        self.dismiss(False)

    @on(Button.Pressed, "#confirm")
    def _confirm_pressed(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(False)
