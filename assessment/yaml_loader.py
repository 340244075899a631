"""The loader for YAML input files: inventories, answers, stack files.

The reference reading is PyYAML's libyaml-backed safe loader with two YAML
1.1 habits changed, because they would hurt hand-written files: only
``true`` and ``false`` are booleans (``no`` stays the text "no"), and a key
given twice in one mapping is an error instead of silently losing a value.

:func:`load_yaml` first offers the text to the compiled fast path in
``fast_yaml``, which reads it with yaml_rs only where that gives the same
result; everything else, every error included, is read by PyYAML.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, ScalarNode

from assessment import fast_yaml

_BOOL_TAG = "tag:yaml.org,2002:bool"
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class InputLoader(_Base):  # type: ignore[misc]
    """A safe loader with YAML 1.2 booleans that rejects duplicate keys."""

    def construct_mapping(
        self, node: MappingNode, deep: bool = False
    ) -> dict[Any, Any]:
        """Build a mapping, refusing a key that appears twice."""
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode):
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found duplicate key {key_node.value!r}",
                        key_node.start_mark,
                    )
                seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


InputLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
InputLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(text: str) -> Any:
    """Parse one YAML document, as :func:`load_yaml_with_pyyaml` would.

    Raises:
        yaml.YAMLError: when ``text`` is not well-formed.
        ValueError: when a scalar cannot be converted (such as 2024-02-30).
    """
    fast = fast_yaml.parse(text)
    if fast is not None:
        return fast.value
    return load_yaml_with_pyyaml(text)


def load_yaml_with_pyyaml(text: str) -> Any:
    """Parse one YAML document with :class:`InputLoader`, the reference reading.

    Raises:
        yaml.YAMLError: when ``text`` is not well-formed.
        ValueError: when a scalar cannot be converted (such as 2024-02-30).
    """
    return yaml.load(text, Loader=InputLoader)
