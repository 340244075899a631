"""The one-line bar at the top of every screen: where you are, where you can go."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

SCREENS: tuple[tuple[str, str, str], ...] = (
    ("dashboard", "d", "Dashboard"),
    ("inventory", "i", "Inventory"),
    ("assessment", "a", "Assessment"),
    ("plan", "p", "Plan"),
    ("history", "h", "History"),
)
"""Each screen's mode name, its key and its title, in the order shown."""


class NavBar(Widget):
    """The screens as tabs, the current one highlighted; each can be clicked.

    The key of each screen is underlined in its title, and the organisation
    assessed is named on the right once it is known.
    """

    organisation: reactive[str] = reactive("")
    """The organisation's name, shown on the right."""

    def __init__(self, current: str, *, id: str | None = None) -> None:
        """Create the bar for the screen whose mode is ``current``."""
        super().__init__(id=id)
        self.current = current

    def render(self) -> Content:
        """The tabs, then the organisation's name pushed to the right."""
        parts: list[Content] = [Content.styled(" ztkit ", "bold $text-accent")]
        for mode, key, title in SCREENS:
            style = "reverse bold" if mode == self.current else ""
            first, rest = title[0], title[1:]
            assert first.lower() == key
            tab = Content.assemble(
                (" ", style),
                (first, f"{style} underline"),
                (f"{rest} ", style),
            )
            parts.append(tab.stylize(f"@click=app.switch_mode('{mode}')"))
        tabs = Content("").join(parts)
        name = Content(f"{self.organisation} ").stylize("dim")
        gap = self.size.width - tabs.cell_length - name.cell_length
        if gap < 1:
            return tabs
        return Content.assemble(tabs, " " * gap, name)
