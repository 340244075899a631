"""The questionnaire: pillars and functions as a tree, one function answered at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Tree

from tui.function_panel import FunctionInfo, FunctionPanel
from tui.stage_bars import RICH_STAGE_COLOURS
from tui.workbench_screen import WorkbenchScreen

if TYPE_CHECKING:
    from textual.widgets.tree import TreeNode

    from assessment.assess import Assessment
    from assessment.maturity_model import MaturityModel
    from assessment.scoring import FunctionResult, PillarResult

STAGE_KEYS = Binding.Group("stage", compact=True)
SHORT_STAGE = {"traditional": "T", "initial": "I", "advanced": "A", "optimal": "O"}
"""A function's stage in the tree, by initial; the colour repeats it."""


class AssessmentScreen(WorkbenchScreen):
    """Answer the maturity questionnaire, with the evidence beside each question."""

    MODE = "assessment"
    AUTO_FOCUS = "#functions"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "choose(0)", "Traditional", group=STAGE_KEYS),
        Binding("2", "choose(1)", "Initial", group=STAGE_KEYS),
        Binding("3", "choose(2)", "Advanced", group=STAGE_KEYS),
        Binding("4", "choose(3)", "Optimal", group=STAGE_KEYS),
        Binding("n", "note", "Note"),
        Binding("escape", "back_to_tree", "Back to the tree", show=False),
    ]

    def __init__(self) -> None:
        """Create the screen, empty until the first assessment arrives."""
        super().__init__()
        self._info: dict[str, FunctionInfo] = {}
        self._results: dict[str, FunctionResult] = {}
        self._tree_nodes: dict[str, TreeNode[str]] = {}

    def compose_body(self) -> ComposeResult:
        """The tree of pillars and functions, and the selected function."""
        tree: Tree[str] = Tree("Maturity model", id="functions")
        tree.show_root = False
        yield tree
        yield FunctionPanel(id="function")

    @property
    def function_tree(self) -> Tree[str]:
        """The tree of pillars and functions."""
        return self.query_one("#functions", Tree)

    def show_assessment(self, assessment: Assessment) -> None:
        """Build the tree once, then relabel it and refresh the panel."""
        if not self._info:
            self._info = function_infos(assessment.model)
        scores = assessment.scores
        self._results = {
            row.key: row
            for section in [*scores.pillars, *scores.cross_cutting]
            for row in section.functions
        }
        if not self._tree_nodes:
            self._build_tree(assessment)
        for pillar in scores.pillars:
            self._tree_nodes[pillar.id].set_label(section_label(pillar))
        for key, row in self._results.items():
            self._tree_nodes[key].set_label(function_label(row))
        self._show_current()

    def _build_tree(self, assessment: Assessment) -> None:
        root = self.function_tree.root
        for pillar in assessment.scores.pillars:
            branch = root.add(pillar.name, data=pillar.id, expand=True)
            self._tree_nodes[pillar.id] = branch
            for row in pillar.functions:
                self._tree_nodes[row.key] = branch.add_leaf(row.name, data=row.key)
        # Each capability is answered on its own, so it is a leaf of one branch.
        capabilities = root.add(
            Text("Cross-cutting", style="bold"), data="cross_cutting", expand=True
        )
        for capability in assessment.scores.cross_cutting:
            for row in capability.functions:
                self._tree_nodes[row.key] = capabilities.add_leaf(
                    row.name, data=row.key
                )
        self.call_after_refresh(self._start_on_first_function)

    def _start_on_first_function(self) -> None:
        # Unless a jump from the palette already chose a function.
        node = self.function_tree.cursor_node
        if node is None or node.data not in self._results:
            self.function_tree.move_cursor(self._tree_nodes[next(iter(self._results))])

    def show_function(self, key: str) -> None:
        """Move to the function ``key`` and put the keyboard on its stages."""
        node = self._tree_nodes.get(key)
        if node is None:
            return
        if node.parent is not None:
            node.parent.expand()
        self.function_tree.move_cursor(node)
        self._show(key)
        self.query_one(FunctionPanel).focus_stages()

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        """Show the function under the cursor (a pillar's first, on a pillar)."""
        self._show(self._function_at(event.node))

    def on_tree_node_selected(self, event: Tree.NodeSelected[str]) -> None:
        """Enter on a function moves to its stages."""
        if event.node.data in self._results:
            self.query_one(FunctionPanel).focus_stages()

    def action_choose(self, index: int) -> None:
        """Answer the function on show with the stage at ``index``."""
        self.query_one(FunctionPanel).choose(index)

    def action_note(self) -> None:
        """Move to the note of the function on show."""
        self.query_one(FunctionPanel).focus_note()

    def action_back_to_tree(self) -> None:
        """Go back to the tree."""
        self.function_tree.focus()

    def _show_current(self) -> None:
        node = self.function_tree.cursor_node
        self._show(self._function_at(node) if node is not None else None)

    def _function_at(self, node: TreeNode[str]) -> str | None:
        if node.data in self._results:
            return node.data
        for child in node.children:
            if child.data in self._results:
                return child.data
        return None

    def _show(self, key: str | None) -> None:
        if key is None or key not in self._results:
            return
        self.query_one(FunctionPanel).show(self._info[key], self._results[key])


def function_infos(model: MaturityModel) -> dict[str, FunctionInfo]:
    """Title and stage descriptions of every answerable key of ``model``."""
    from assessment.maturity_model import CROSS_CUTTING

    infos: dict[str, FunctionInfo] = {}
    for pillar in model.pillars:
        for function in pillar.functions:
            key = f"{pillar.id}/{function.id}"
            title = f"{function.number} {function.name} · {pillar.name}"
            infos[key] = FunctionInfo(key, title, function.stages)
    for capability in model.cross_cutting:
        key = f"{CROSS_CUTTING}/{capability.id}"
        title = f"{capability.name} · cross-cutting, across all pillars"
        infos[key] = FunctionInfo(key, title, capability.stages)
    return infos


def _stage_text(stage_id: str, text: str) -> Text:
    return Text(text, style=RICH_STAGE_COLOURS.get(stage_id, ""))


def section_label(section: PillarResult) -> Text:
    """A pillar's label: its name, score and stage."""
    label = Text(section.name, style="bold")
    label.append(f"  {section.score:.2f} ")
    label.append_text(_stage_text(section.stage.id, section.stage.label))
    return label


def short_function_name(name: str) -> str:
    """A function's name as the narrow tree shows it."""
    return name.removesuffix(" Capability").replace(" and ", " & ")


def function_label(row: FunctionResult) -> Text:
    """A function's label: its stage, name, and marks for conflicts and gaps."""
    label = _stage_text(row.stage.id, SHORT_STAGE[row.stage.id])
    label.append(f" {short_function_name(row.name)}")
    if row.conflict:
        label.append(" ⚠", style="yellow")
    if row.answered is None:
        label.append(" ?", style="dim")
    return label
