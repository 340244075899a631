"""What every screen of the workbench shares: the bars, and waiting for the files."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.nav_bar import NavBar
from tui.paths import display_path

if TYPE_CHECKING:
    from assessment.assess import Assessment
    from tui.app import Workbench


class WorkbenchScreen(Screen[None]):
    """A screen that shows the latest assessment, and a loading state before it.

    Subclasses compose their content in :meth:`compose_body` and fill it in
    :meth:`show_assessment`, which runs whenever a new assessment arrives,
    also while the screen is not on show.
    """

    MODE: ClassVar[str] = ""
    """The app mode this screen is the base of."""

    @property
    def workbench(self) -> Workbench:
        """The app, with its workbench attributes visible to type checkers."""
        return cast("Workbench", self.app)

    def compose(self) -> ComposeResult:
        """The navigation bar, the loading note, the body and the footer."""
        yield NavBar(self.MODE)
        inventory = display_path(self.workbench.paths.inventory)
        yield Static(
            f"Reading {inventory} and assessing it…\n\n"
            "The screen fills in as soon as that is done.",
            id="loading",
        )
        with Container(id="body"):
            yield from self.compose_body()
        yield Footer(compact=True)

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets."""
        yield from ()

    def on_mount(self) -> None:
        """Wait for the assessment, or show the one already made."""
        self.add_class("-loading")
        self.watch(self.app, "assessment", self._assessment_changed, init=True)

    def _assessment_changed(self, assessment: Assessment | None) -> None:
        if assessment is None:
            return
        self.remove_class("-loading")
        self.query_one(NavBar).organisation = assessment.inventory.organisation.name
        self.show_assessment(assessment)

    def show_assessment(self, assessment: Assessment) -> None:
        """Fill the screen in from ``assessment``."""
