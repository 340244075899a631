"""The render's stand-in for pulumi-random's generated passwords."""

from __future__ import annotations

import string
from collections import Counter

import pytest

from components.render import random_password

SPECIAL = "!#$%&*()-_=+[]{}<>:?"


@pytest.mark.parametrize("length", [1, 16, 32, 100])
def test_a_password_has_the_length_asked_for(length: int) -> None:
    assert len(random_password({"length": length, "special": False})) == length


def test_without_special_characters_only_letters_and_digits_appear() -> None:
    password = random_password({"length": 5000, "special": False})

    assert set(password) <= set(string.ascii_letters + string.digits)


def test_every_character_of_the_alphabet_is_equally_likely() -> None:
    # 82 characters do not divide 256: taking bytes modulo 82 would make the
    # first ten a third more likely than the rest.
    alphabet = string.ascii_letters + string.digits + SPECIAL
    counts = Counter("".join(random_password({"length": 64}) for _ in range(4000)))

    assert set(counts) == set(alphabet)
    expected = 4000 * 64 / len(alphabet)
    assert max(counts.values()) < 1.1 * expected
    assert min(counts.values()) > 0.9 * expected


def test_two_passwords_differ() -> None:
    assert random_password({"length": 32}) != random_password({"length": 32})
