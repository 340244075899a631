"""Reading Kubernetes manifests: files or folders of multi-document YAML.

Documents may be single objects or ``List`` objects (``kind: List``,
``DeploymentList``...), whose items are read one by one. Anything else stops
the run with one line naming the file, the document and what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from assessment.collectors.errors import ManifestError
from assessment.collectors.kubernetes_objects import KubeObject, Snapshot
from assessment.reachability.manifests import PLAN_INDEX

SUFFIXES = (".yaml", ".yml", ".json")


def read_manifests(paths: Sequence[Path]) -> Snapshot:
    """Every Kubernetes object in ``paths`` (files, or folders searched
    recursively for ``*.yaml``, ``*.yml`` and ``*.json``).

    Raises:
        ManifestError: a path is missing, a file is not UTF-8 YAML, a document
            is not a Kubernetes object, or nothing was found at all.
    """
    objects: list[KubeObject] = []
    for file in _files(paths):
        objects.extend(read_manifest_file(file))
    if not objects:
        shown = ", ".join(str(path) for path in paths)
        raise ManifestError(f"{shown}: no Kubernetes objects found in {SUFFIXES}")
    return Snapshot(objects, f"manifests {', '.join(str(p) for p in paths)}")


def read_manifest_file(file: Path) -> list[KubeObject]:
    """The objects in one manifest file, in document order."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"{file}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ManifestError(f"{file}: cannot read: {exc.strerror or exc}") from None

    objects: list[KubeObject] = []
    for number, document in _documents(file, text):
        if document is None:
            continue
        origin = f"{file} document {number}"
        objects.extend(_objects(document, origin))
    return objects


def _files(paths: Sequence[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p
                for p in path.rglob("*")
                if p.suffix in SUFFIXES and p.name != PLAN_INDEX and p.is_file()
            )
        elif path.is_file():
            yield path
        else:
            raise ManifestError(f"{path}: no such file or folder")


def _documents(file: Path, text: str) -> Iterator[tuple[int, Any]]:
    """(1-based document number, parsed document) for each YAML document."""
    documents = YAML(typ="safe", pure=False).load_all(text)
    number = 0
    while True:
        where = f"{file} document {number + 1}"
        try:
            document = next(documents)
        except StopIteration:
            return
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = f" (line {mark.line + 1})" if mark is not None else ""
            problem = (exc.problem or exc.context or "malformed YAML").strip()
            raise ManifestError(f"{where}{line}: malformed YAML: {problem}") from None
        except (YAMLError, ValueError, TypeError, RecursionError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise ManifestError(
                f"{where}: malformed YAML: {first or type(exc).__name__}"
            ) from None
        number += 1
        yield number, document


def _objects(document: Any, origin: str) -> list[KubeObject]:
    if not isinstance(document, dict):
        raise ManifestError(
            f"{origin}: expected a Kubernetes object (a mapping with apiVersion "
            f"and kind), got {type(document).__name__}"
        )
    kind = document.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and "items" in document:
        entries = document["items"] or []
        if not isinstance(entries, list):
            raise ManifestError(f"{origin}: items: expected a list of objects")
        found: list[KubeObject] = []
        for index, entry in enumerate(entries):
            found.extend(_objects(entry, f"{origin} items[{index}]"))
        return found

    for key in ("apiVersion", "kind"):
        value = document.get(key)
        if not isinstance(value, str) or not value:
            raise ManifestError(f"{origin}: {key}: required text, got {value!r}")
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        raise ManifestError(f"{origin}: {kind} without metadata: expected a mapping")
    for key in ("name", "namespace"):
        value = metadata.get(key)
        if (value is not None or key == "name") and not isinstance(value, str):
            raise ManifestError(
                f"{origin}: {kind}: metadata.{key}: expected text, got {value!r}"
            )
    return [KubeObject(document, origin)]
