"""The input loader's departures from YAML 1.1."""

from __future__ import annotations

import pytest
import yaml

from assessment.yaml_loader import load_yaml


def test_only_true_and_false_are_booleans() -> None:
    data = load_yaml("a: no\nb: on\nc: yes\nd: true\ne: False\n")

    assert data == {"a": "no", "b": "on", "c": "yes", "d": True, "e": False}


def test_a_duplicate_key_is_an_error_at_its_line() -> None:
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        load_yaml("app:\n  users: 10\n  users: 11\n")

    assert caught.value.problem == "found duplicate key 'users'"
    assert caught.value.problem_mark is not None
    assert caught.value.problem_mark.line == 2


def test_the_same_key_in_different_mappings_is_fine() -> None:
    assert load_yaml("- {id: a}\n- {id: b}\n") == [{"id": "a"}, {"id": "b"}]
