"""One application in detail: who may read or write it, what it calls, its controls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from tui.dashboard import CLASSIFICATION_STYLES, risk_style

if TYPE_CHECKING:
    from assessment.inventory import Application, Inventory
    from assessment.risk import AppRisk

CONTROL_TITLES = {
    "sso": "Single sign-on (SSO)",
    "mfa": "Multi-factor sign-in (MFA)",
    "access_proxy": "Identity-aware access proxy",
    "segmented": "Network segmentation",
    "device_posture": "Device posture check",
    "access_logging": "Central access logging",
}
"""The controls in the inventory's order, with the names people use."""


class ApplicationDetail(Vertical):
    """The facts of one application and a checklist of its controls.

    Toggling a control posts :class:`ControlToggled`; the app writes it to the
    inventory file and the list is redrawn from what the file then says.
    """

    class ControlToggled(Message):
        """A control of an application was switched on or off by the user."""

        def __init__(self, app_id: str, control: str, enabled: bool) -> None:
            super().__init__()
            self.app_id = app_id
            self.control_name = control
            self.enabled = enabled

    def __init__(self, *, id: str | None = None) -> None:
        """Create the pane, empty until :meth:`show` is called."""
        super().__init__(id=id)
        self.app_id: str | None = None

    def compose(self) -> ComposeResult:
        """The facts, then the controls."""
        yield Static(id="app-facts")
        controls: SelectionList[str] = SelectionList(id="app-controls")
        controls.border_title = "Controls today"
        controls.border_subtitle = "space toggles · saved to the inventory"
        yield controls

    def show(self, risk: AppRisk | None, inventory: Inventory) -> None:
        """Show ``risk``'s application, or say that none is selected."""
        facts = self.query_one("#app-facts", Static)
        controls: SelectionList[str] = self.query_one("#app-controls", SelectionList)
        if risk is None:
            self.app_id = None
            facts.update(Content.styled("No application selected.", "$text-muted"))
            controls.clear_options()
            return

        app = risk.app
        facts.update(describe(risk, inventory))
        highlighted = controls.highlighted if self.app_id == app.id else 0
        self.app_id = app.id
        with controls.prevent(SelectionList.SelectionToggled):
            controls.clear_options()
            controls.add_options(
                Selection(title, name, bool(getattr(app.controls, name)), id=name)
                for name, title in CONTROL_TITLES.items()
            )
        controls.highlighted = highlighted

    def on_selection_list_selection_toggled(
        self, event: SelectionList.SelectionToggled[str]
    ) -> None:
        """Ask for the toggled control to be written to the inventory."""
        event.stop()
        if self.app_id is None:
            return
        control = event.selection.value
        enabled = control in event.selection_list.selected
        self.post_message(self.ControlToggled(self.app_id, control, enabled))

    def focus_controls(self) -> None:
        """Put the keyboard on the controls checklist."""
        self.query_one("#app-controls").focus()


def describe(risk: AppRisk, inventory: Inventory) -> Content:
    """The facts of one application, a line each."""
    from assessment.planning import app_phase

    app = risk.app
    groups = {group.id: group for group in inventory.groups}

    def group_list(ids: list[str]) -> str:
        return (
            ", ".join(
                f"{group_id} ({groups[group_id].members:,})"
                if group_id in groups
                else group_id
                for group_id in ids
            )
            or "nobody"
        )

    lines: list[Content] = [
        Content.assemble(
            (app.id, "bold"),
            f" · {app.name}",
            ("  ◆ crown jewel" if risk.crown_jewel else "", "$text-accent"),
        ),
        Content.assemble(
            (app.classification, CLASSIFICATION_STYLES.get(app.classification, "")),
            f" · {app.users:,} users · ",
            (f"risk {risk.risk:g}", risk_style(risk.risk)),
            f" · phase {app_phase(app)} done" + (" · legacy" if app.legacy else ""),
        ),
        _fact("Owner", f"{app.owner} ({app.department})"),
        _fact("Host", f"{app.host}:{app.port} (namespace {app.namespace})"),
        _fact("Read", group_list(app.readers)),
        _fact("Write", group_list(app.writers)),
        _fact("Calls", _dependencies(app, inventory)),
        _fact("Used by", ", ".join(_used_by(app.id, inventory)) or "no other app"),
    ]
    if app.description:
        lines.append(Content.styled(app.description, "italic"))
    return Content("\n").join(lines)


def _fact(label: str, value: str) -> Content:
    return Content.assemble((f"{label:<8}", "bold"), value)


def _dependencies(app: Application, inventory: Inventory) -> str:
    calls = []
    for dependency in app.depends_on:
        store = inventory.stores_by_id.get(dependency.target)
        kind = f"{store.kind} " if store else ""
        calls.append(f"{dependency.target} ({kind}:{inventory.port_of(dependency)})")
    return ", ".join(calls) or "nothing declared"


def _used_by(app_id: str, inventory: Inventory) -> list[str]:
    return [
        other.id
        for other in inventory.applications
        if any(dependency.target == app_id for dependency in other.depends_on)
    ]
