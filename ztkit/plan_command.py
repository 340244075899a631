"""``ztkit plan``: render what a stack would deploy, offline."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from assessment.errors import AssessmentError
from assessment.yaml_loader import load_yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STACKS_DIR = PROJECT_ROOT / "stacks"
SECRET_PLACEHOLDER = "<secret from stack config>"
INDEX_FILE = "plan.json"
"""Read by the analyzer and collectors as ``PLAN_INDEX``, and skipped there."""


class PlanError(AssessmentError):
    """The stack cannot be rendered: a bad stack file, setting or output directory."""


def add_parser(commands: Any) -> None:
    """Add ``ztkit plan``."""
    plan = commands.add_parser(
        "plan",
        help="render every Kubernetes object a stack would deploy, without a cluster",
        description="Run the Pulumi program in-process under the SDK's mock monitor "
        "and write every Kubernetes object it would create as YAML.",
    )
    plan.add_argument("--stack", default="dev", help="stack name (default: dev)")
    plan.add_argument(
        "--stacks-dir",
        type=Path,
        default=STACKS_DIR,
        metavar="DIR",
        help="where the stack files live (default: the project's stacks/)",
    )
    plan.add_argument(
        "--phase",
        type=int,
        choices=range(6),
        metavar="N",
        help="render this phase instead of the stack's",
    )
    plan.add_argument(
        "--wave",
        nargs="+",
        metavar="APP",
        help="render for these apps (or 'all') instead of the stack's wave",
    )
    plan.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="where to write the YAML (default: out/plan-STACK)",
    )
    plan.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="summary format on standard output (default: text)",
    )
    plan.add_argument(
        "--show-secrets",
        action="store_true",
        help="write secret values instead of redacting them",
    )
    plan.set_defaults(run=run_plan)


def stack_config(
    stacks_dir: Path, stack: str
) -> tuple[dict[str, str], tuple[str, ...]]:
    """The ``ztkit:`` config of a stack file as Pulumi hands it to the program.

    Secret values are encrypted in the file; they become placeholders, which
    the render treats as secrets.
    """
    path = stacks_dir / f"Pulumi.{stack}.yaml"
    try:
        document = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(
            f"{path}: file not found; is {stack!r} a stack of this project?"
        ) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PlanError(f"{path}: cannot read the stack file: {exc}") from None
    config = (document or {}).get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise PlanError(f"{path}: config: expected a mapping of settings")

    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        if not str(key).startswith("ztkit:"):
            continue
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[key] = SECRET_PLACEHOLDER
            secret_keys.append(key)
        elif isinstance(value, str):
            values[key] = value
        else:
            values[key] = json.dumps(value, default=str)
    return values, tuple(secret_keys)


def _placeholder_secrets(values: dict[str, str]) -> None:
    """Give secret maps one placeholder per app of the wave, as an encrypted map
    would hold."""
    key = "ztkit:oidcClientSecrets"
    if values.get(key) != SECRET_PLACEHOLDER:
        return
    apps = json.loads(values.get("ztkit:wave", "[]") or "[]")
    if apps == "all":
        from assessment.inventory import load_inventory

        inventory = PROJECT_ROOT / values.get(
            "ztkit:inventory", "sample/inventory.yaml"
        )
        apps = [app.id for app in load_inventory(inventory).applications]
    if not isinstance(apps, list):
        apps = []
    values[key] = json.dumps({app: f"{SECRET_PLACEHOLDER} {app}" for app in apps})


def object_path(manifest: dict[str, Any]) -> Path:
    """Where one object goes in a plan directory: ``namespace/Kind-name.yaml``."""
    metadata = manifest.get("metadata", {})
    folder = metadata.get("namespace") or "_cluster"
    return Path(folder) / f"{manifest.get('kind')}-{metadata.get('name')}.yaml"


def write_plan(
    out: Path, manifests: list[dict[str, Any]], index: dict[str, Any]
) -> None:
    """Replace ``out`` with the rendered objects, all at once.

    Everything is written into a fresh directory beside ``out`` first; only a
    complete render replaces the old one.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for manifest in manifests:
            target = staging / object_path(manifest)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(yaml.safe_dump(manifest, sort_keys=False, width=100))
        (staging / INDEX_FILE).write_text(json.dumps(index, indent=2) + "\n")
        if out.exists():
            if not (out / INDEX_FILE).exists() and any(out.iterdir()):
                raise PlanError(
                    f"{out}: exists and is not a ztkit plan; choose another --out"
                )
            retired = out.with_name(f".{out.name}.old")
            shutil.rmtree(retired, ignore_errors=True)
            out.rename(retired)
            staging.rename(out)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def summarise(
    manifests: list[dict[str, Any]],
    stack: str,
    phase: int,
    wave: list[str],
    warnings: list[str],
    inventory: str | None = None,
) -> dict[str, Any]:
    """The plan's index: every object with its app and phase, counts, and the
    inventory it was rendered from."""
    objects = []
    for manifest in manifests:
        metadata = manifest.get("metadata", {})
        labels = metadata.get("labels", {}) or {}
        objects.append(
            {
                "kind": manifest.get("kind"),
                "namespace": metadata.get("namespace"),
                "name": metadata.get("name"),
                "app": labels.get("ztkit.io/app"),
                "phase": int(labels["ztkit.io/phase"])
                if "ztkit.io/phase" in labels
                else None,
                "file": str(object_path(manifest)),
            }
        )
    # Registration order varies from run to run; the file path does not.
    objects.sort(key=lambda entry: entry["file"])
    return {
        "stack": stack,
        "phase": phase,
        "wave": wave,
        "inventory": inventory,
        "objects": objects,
        "counts_by_kind": dict(sorted(Counter(o["kind"] for o in objects).items())),
        "counts_by_app": dict(
            sorted(Counter(o["app"] or "(shared)" for o in objects).items())
        ),
        "warnings": warnings,
    }


def run_plan(arguments: argparse.Namespace) -> int:
    """Render the stack and write its objects."""
    from components.errors import ComponentError
    from components.render import render_program

    values, secret_keys = stack_config(arguments.stacks_dir, arguments.stack)
    if arguments.phase is not None:
        values["ztkit:phase"] = str(arguments.phase)
    if arguments.wave:
        values["ztkit:wave"] = json.dumps(
            "all" if arguments.wave == ["all"] else arguments.wave
        )
    _placeholder_secrets(values)

    try:
        render = render_program(values, PROJECT_ROOT, arguments.stack, secret_keys)
    except ComponentError as exc:
        raise PlanError(str(exc)) from None
    manifests = render.manifests(show_secrets=arguments.show_secrets)
    phase = int(values.get("ztkit:phase", "0"))
    wave = json.loads(values.get("ztkit:wave", "[]"))
    inventory = PROJECT_ROOT / values.get("ztkit:inventory", "sample/inventory.yaml")
    index = summarise(
        manifests, arguments.stack, phase, wave, render.warnings, str(inventory)
    )
    out = arguments.out or Path("out") / f"plan-{arguments.stack}"
    try:
        write_plan(out, manifests, index)
    except OSError as exc:
        raise PlanError(
            f"{out}: cannot write the plan: {exc.strerror or exc}"
        ) from None

    for warning in render.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    sys.stdout.write(_format_summary(index, out, arguments.format))
    return 0


def _format_summary(index: dict[str, Any], out: Path, form: str) -> str:
    if form == "json":
        return json.dumps(index, indent=2) + "\n"
    total = len(index["objects"])
    wave = index["wave"]
    wave_text = wave if isinstance(wave, str) else ", ".join(wave) or "none"
    if form == "markdown":
        lines = [
            f"### ztkit plan: stack `{index['stack']}`, phase {index['phase']}",
            "",
            f"{total} objects for wave: {wave_text}",
            "",
            "| kind | objects |",
            "|---|---:|",
        ]
        lines += [
            f"| {kind} | {count} |" for kind, count in index["counts_by_kind"].items()
        ]
        return "\n".join(lines) + "\n"
    lines = [
        f"stack {index['stack']}, phase {index['phase']}, wave: {wave_text}",
        f"{total} objects written to {out}",
    ]
    lines += [
        f"  {count:>4}  {kind}" for kind, count in index["counts_by_kind"].items()
    ]
    return "\n".join(lines) + "\n"
