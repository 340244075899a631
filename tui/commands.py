"""Command palette entries: jump to any application, function or screen."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.error_screen import ErrorScreen
from tui.nav_bar import SCREENS

if TYPE_CHECKING:
    from tui.app import Workbench

YIELD_EVERY = 250
"""Let the palette draw between batches when matching thousands of apps."""

Target = tuple[str, str, Callable[[], object]]
"""What the palette shows, its help line, and what choosing it does."""


class WorkbenchCommands(Provider):
    """Every application, maturity function and screen, by name or id."""

    @property
    def workbench(self) -> Workbench:
        """The app, with its workbench attributes visible to type checkers."""
        return cast("Workbench", self.app)

    def _targets(self) -> Iterator[Target]:
        workbench = self.workbench
        assessment = workbench.assessment
        if assessment is None or isinstance(self.screen, ErrorScreen):
            # Nothing to jump to until the files are read, or while they are bad.
            return
        for mode, _key, title in SCREENS:
            yield (
                f"Go to {title}",
                f"Show the {title.lower()} screen",
                partial(workbench.switch_mode, mode),
            )
        for key in assessment.model.function_keys():
            yield (
                f"Function {assessment.model.name_of(key)}",
                "Answer it in the assessment screen",
                partial(workbench.jump_to_function, key),
            )
        for risk in assessment.risks:
            app = risk.app
            yield (
                f"App {app.id} · {app.name}",
                f"{app.classification}, risk {risk.risk:g}, owner {app.owner}",
                partial(workbench.jump_to_app, app.id),
            )

    async def discover(self) -> Hits:
        """The screens, before anything is typed."""
        if self.workbench.assessment is None or isinstance(self.screen, ErrorScreen):
            return
        for mode, _key, title in SCREENS:
            yield DiscoveryHit(
                f"Go to {title}",
                partial(self.workbench.switch_mode, mode),
                help=f"Show the {title.lower()} screen",
            )

    async def search(self, query: str) -> Hits:
        """Everything whose name matches ``query``, best first."""
        matcher = self.matcher(query)
        for count, (text, help_text, command) in enumerate(self._targets(), 1):
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, help=help_text)
            if count % YIELD_EVERY == 0:
                await asyncio.sleep(0)
