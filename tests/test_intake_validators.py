"""Parsing and validation of intake answers (secure_base.intake.validators)."""

from __future__ import annotations

import pytest

from secure_base.intake.validators import (
    CONTACT_CHOICES,
    PAYMENT_CHOICES,
    InvalidAnswer,
    format_choices,
    format_phone,
    is_below_minimum_age,
    licensed_region_of,
    looks_like_question,
    match_choice,
    normalise_phone,
    parse_age,
    parse_yes_no,
    validate_email_address,
    validate_free_text,
    validate_name,
    validate_region,
)

FORMATS = format_choices([("online", "Online (secure video)"), ("in_person", "In person")])
LICENSED = ["Maine", "Massachusetts"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alex@example.com", "alex@example.com"),
        ("  Alex.Smith@Example.COM ", "Alex.Smith@example.com"),  # domain lower-cased
        ("<sam@harbor-therapy.example>", "sam@harbor-therapy.example"),
    ],
)
def test_valid_emails_are_normalised(text: str, expected: str) -> None:
    assert validate_email_address(text) == expected


@pytest.mark.parametrize(
    "text", ["alex@", "alex", "alex@localhost", "alex @example.com", "", "@x.com"]
)
def test_invalid_emails_give_a_reason(text: str) -> None:
    with pytest.raises(InvalidAnswer) as info:
        validate_email_address(text)
    assert str(info.value)  # something to tell the person


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(207) 555-0123", "+12075550123"),  # US default region
        ("207.774.1234", "+12077741234"),
        ("+1 207 774 1234", "+12077741234"),
        ("+44 20 7946 0958", "+442079460958"),  # another country, with its code
        ("0044 20 7946 0958", "+442079460958"),
        ("+33 6 12 34 56 78", "+33612345678"),
    ],
)
def test_phone_numbers_are_stored_as_e164(text: str, expected: str) -> None:
    assert normalise_phone(text) == expected


@pytest.mark.parametrize("text", ["12", "call me maybe", "555 010 2030", "+44 12", ""])
def test_invalid_phone_numbers_are_rejected(text: str) -> None:
    with pytest.raises(InvalidAnswer):
        normalise_phone(text)


def test_phone_display_format() -> None:
    assert format_phone("+442079460958") == "+44 20 7946 0958"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("34", 34),
        ("I'm 34", 34),
        ("34 years old", 34),
        ("thirty four", 34),
        ("eighteen", 18),
        ("18 or over", True),
        ("I'm over 18", True),
        ("18+", True),
        ("Under 18", False),
        ("I'm a minor", False),
        ("16", 16),
    ],
)
def test_age(text: str, expected: object) -> None:
    assert parse_age(text, 18) == expected


@pytest.mark.parametrize("text", ["yes", "old enough", "300", "12 or 13", ""])
def test_unreadable_ages(text: str) -> None:
    with pytest.raises(InvalidAnswer):
        parse_age(text, 18)


def test_minimum_age_comes_from_the_profile_value() -> None:
    assert parse_age("over 21", 21) is True
    assert is_below_minimum_age(20, 21) and not is_below_minimum_age(21, 21)
    assert is_below_minimum_age(False, 18) and not is_below_minimum_age(True, 18)
    assert not is_below_minimum_age("16", 18)  # raw text is never a validated age


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yes", True),
        ("yes please", True),
        ("Yep", True),
        ("/affirm", True),
        ('/affirm{"x": 1}', True),
        ("No", False),
        ("nope", False),
        ("/deny", False),
        ("I haven't", False),
        ("maybe", None),
        ("/greet", None),
        (True, True),
    ],
)
def test_yes_no(text: object, expected: object) -> None:
    assert parse_yes_no(text) is expected


@pytest.mark.parametrize(
    ("text", "choices", "expected"),
    [
        ("Email", CONTACT_CHOICES, "email"),
        ("by phone please", CONTACT_CHOICES, "phone"),
        ("either is fine", CONTACT_CHOICES, "either"),
        ("Both", CONTACT_CHOICES, "either"),
        ("Self-pay", PAYMENT_CHOICES, "self_pay"),
        ("insurance", PAYMENT_CHOICES, "insurance"),
        ("Online (secure video)", FORMATS, "online"),
        ("video please", FORMATS, "online"),
        ("In person", FORMATS, "in_person"),
        ("No preference", FORMATS, "no_preference"),
        ("pigeon post", CONTACT_CHOICES, None),
        ("online or in person", FORMATS, None),  # ambiguous: ask again
    ],
)
def test_choices(text: str, choices: tuple, expected: str | None) -> None:
    assert match_choice(text, choices) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What is attachment?", True),
        ("how long does therapy take", True),
        ("Is it confidential", True),
        ("can you tell me the fees", True),
        ("I feel anxious most days", False),
        ("Several days", False),
        ("", False),
    ],
)
def test_looks_like_question(text: str, expected: bool) -> None:
    assert looks_like_question(text) is expected


def test_names() -> None:
    assert validate_name("  Sam ") == "Sam"
    assert validate_name("My name is Jo Anne") == "Jo Anne"
    assert validate_name("Zoë") == "Zoë"
    for bad in ("", "/affirm", "why do you need my name?", "123", "a " * 10):
        with pytest.raises(InvalidAnswer):
            validate_name(bad)


def test_free_text() -> None:
    assert validate_free_text("  I keep pushing people away.  ") == "I keep pushing people away."
    for bad in ("", "   ", "/deny", "..."):
        with pytest.raises(InvalidAnswer):
            validate_free_text(bad)
    with pytest.raises(InvalidAnswer):
        validate_free_text("x" * 2001)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Maine", "Maine"),
        ("portland, maine", "Maine"),
        ("ME", "Maine"),
        ("Boston, MA", "Massachusetts"),
        ("Massachusetts, USA", "Massachusetts"),
        ("New Hampshire", None),
        ("London, UK", None),
        ("it's me", None),  # "me" is a word, not the postal code
    ],
)
def test_licensed_regions(text: str, expected: str | None) -> None:
    assert licensed_region_of(validate_region(text), LICENSED) == expected
