"""Parsing and validation of intake answers (secure_base.intake.validators)."""

from __future__ import annotations

import re

import pytest

from secure_base.intake.validators import (
    CONTACT_CHOICES,
    PAYMENT_CHOICES,
    InvalidAnswer,
    best_times_in,
    find_email_address,
    find_phone_number,
    format_choices,
    format_phone,
    is_below_minimum_age,
    is_skip,
    licensed_region_of,
    looks_like_question,
    match_choice,
    match_contact_method,
    method_named_after_detail,
    normalise_phone,
    parse_age,
    parse_yes_no,
    stop_wish,
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
        ("yes that's fine", True),
        ("no, never", False),
        ("no problem", True),
        ("sure, but what happens to my data?", None),
        ("yes but not really", None),
        ("/greet", None),
        (True, True),
        # Sentence by sentence: a clear yes next to sentences that say nothing either way.
        ("Yes, please go ahead. Forgive me if I am slow, I'm not used to this.", True),
        ("Very well, that is satisfactory. Yes, I consent.", True),
        ("ok lets do it", True),
        ("Yes. Actually no.", None),  # both: ask again
        ("yes that is fine. but can i ask something?", None),  # a question first
        ("I am not sure", None),
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
        ("emial", CONTACT_CHOICES, "email"),  # typos
        ("insurence", PAYMENT_CHOICES, "insurance"),
        ("I'll slef pay", PAYMENT_CHOICES, "self_pay"),
        ("in persn", FORMATS, "in_person"),
        ("weekday evenings", FORMATS, None),
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Sam ", "Sam"),
        ("My name is Jo Anne", "Jo Anne"),
        ("Zoë", "Zoë"),
        ("call me Sam", "Sam"),
        ("hi! I'm Sam", "Sam"),
        ("thanks, you can call me Sam please", "Sam"),
        ("actually my name is Dana, not Batman", "Dana"),
        ("O'Neil", "O'Neil"),
        ("Mary-Jane", "Mary-Jane"),
        ("José García", "José García"),
        ("Nguyễn Thị", "Nguyễn Thị"),
        ("Sam!", "Sam"),
    ],
)
def test_names_are_read_from_the_answer(text: str, expected: str) -> None:
    assert validate_name(text) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "/affirm",
        "why do you need my name?",
        "123",
        "a " * 10,
        "<script>alert(1)</script>",
        "<b>Sam</b>",
        "https://example.com",
        "www.example.com",
        "visit example.com",
        "sam@example.com",
        "Sam123",
        "x" * 51,
        "{{ name }}",
    ],
)
def test_what_is_not_a_name(bad: str) -> None:
    with pytest.raises(InvalidAnswer):
        validate_name(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thanks! it's jo.smith@example.com", "jo.smith@example.com"),
        ("sorry, I meant my email is dana@example.org.", "dana@example.org"),
        ("email me at (Sam@Example.COM) please", "Sam@example.com"),
        ("sam@example.com", "sam@example.com"),
    ],
)
def test_email_inside_a_sentence(text: str, expected: str) -> None:
    assert find_email_address(text) == expected


@pytest.mark.parametrize(
    "text", ["a@example.com or b@example.com", "jo at example dot com", "alex @example.com", ""]
)
def test_no_single_email_in_the_sentence(text: str) -> None:
    with pytest.raises(InvalidAnswer):
        find_email_address(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sure, my number is 207 201 3344", "+12072013344"),
        ("my cell: (207) 774-1234 thx", "+12077741234"),
        ("+44 20 7946 0958 is my mobile", "+442079460958"),
        ("(207) 555-0123", "+12075550123"),
        ("0044 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_inside_a_sentence(text: str, expected: str) -> None:
    assert find_phone_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "text is better",
        "call me maybe",
        "my number is 12345",
        "207 201 3344 or 207 774 1234",
        # 555 is no US area code in use: the person is asked to check the number.
        "sure, my number is 555 201 3344",
    ],
)
def test_no_single_phone_number_in_the_sentence(text: str) -> None:
    with pytest.raises(InvalidAnswer):
        find_phone_number(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm not ready", "stop"),
        ("can we stop?", "stop"),
        ("forget it", "stop"),
        ("Stop.", "stop"),
        ("actually, never mind", "stop"),
        ("I changed my mind", "stop"),
        ("maybe later", "pause"),
        ("can we do this later?", "pause"),
        ("pause", "pause"),
        ("I'll finish it later", "pause"),
        ("do I have to?", "unsure"),
        ("this is a lot", "unsure"),
        # Answers, not wishes to stop.
        ("I want to stop pushing people away", None),
        ("I can't stop worrying", None),
        ("evenings, later is better", None),
        ("I want to end it", None),
        ("no", None),
        ("Sam", None),
    ],
)
def test_stop_wishes(text: str, expected: str | None) -> None:
    assert stop_wish(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("actually hold on i dont rly want to give my number out rn. can we stop", "stop"),
        (
            "hmm ok. actually lets stop here, i am too tired after shift. maybe another day",
            "stop",
        ),
        (
            "Forgive me, but I find I am not quite ready to do this. It is all rather more "
            "than I anticipated, and I think I shall stop here for now.",
            "stop",
        ),
        ("I'm not really ready for this", "stop"),
        ("I will stop here for today, thanks", "stop"),
        ("you know what, i stop here. too many questions and my break is over", "stop"),
        ("Sorry, I think I would like to stop here for now. I'd rather think it over.", "stop"),
        ("ok. maybe another day", "pause"),
        # Answers that only contain the words are answers.
        ("I want to stop pushing people away", None),
        ("I'm not ready to trust people, that's why I'm here", None),
        ("I can't stop worrying, and I'm not sleeping", None),
        ("My partner says I should stop drinking. Maybe they are right", None),
        ("My job is draining. I want to quit.", None),
        ("I drink too much. I want to stop.", None),
        ("I stop here on my way to work every day", None),
        ("I want to date again, but I'm not ready.", None),
        ("Work is too much. I need a break.", None),
        ("never mind, it's Sam", None),
        ("Not right now, but I was in therapy years ago", None),
    ],
)
def test_stop_wishes_inside_longer_messages(text: str, expected: str | None) -> None:
    assert stop_wish(text) == expected


def test_every_cancel_intake_training_example_is_a_clear_stop() -> None:
    import yaml

    from secure_base.settings import PROJECT_ROOT

    nlu = yaml.safe_load((PROJECT_ROOT / "data/nlu/conversation.yml").read_text())["nlu"]
    (block,) = (item for item in nlu if item.get("intent") == "cancel_intake")
    examples = [line[2:] for line in block["examples"].splitlines() if line.startswith("- ")]
    assert len(examples) > 20
    assert {text: stop_wish(text) for text in examples} == {text: "stop" for text in examples}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("skip", True),
        ("Skip this one", True),
        ("I'd rather not say", True),
        ("pass", True),
        ("skipping meals", False),
        ("I passed my exams", False),
    ],
)
def test_skip(text: str, expected: bool) -> None:
    assert is_skip(text) is expected


def test_free_text() -> None:
    assert validate_free_text("  I keep pushing people away.  ") == "I keep pushing people away."
    for bad in ("", "   ", "/deny", "..."):
        with pytest.raises(InvalidAnswer):
            validate_free_text(bad)
    with pytest.raises(InvalidAnswer) as info:
        validate_free_text("x" * 2001)
    assert info.value.kind == "too_long"


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


def test_email_validation_never_looks_up_dns(monkeypatch) -> None:
    """The machine has no DNS: a deliverability check would fail or hang."""
    import email_validator.deliverability as deliverability

    def no_dns(*args, **kwargs):
        raise AssertionError("an e-mail deliverability (DNS) lookup was made")

    monkeypatch.setattr(deliverability, "validate_email_deliverability", no_dns)
    assert find_email_address("It is rhallworth58@example.net.") == "rhallworth58@example.net"
    assert validate_email_address("robert@harbor-therapy.org") == "robert@harbor-therapy.org"


def test_every_email_validation_call_turns_the_dns_check_off() -> None:
    from secure_base.settings import PROJECT_ROOT

    calls = []
    for folder in ("actions", "secure_base", "scripts"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            found = re.findall(r"(?<!def )\bvalidate_email\([^)]*\)", text)
            calls += [(path.name, call) for call in found]
    assert calls
    assert all("check_deliverability=False" in call for _, call in calls), calls


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I would prefer e-mail, if that is acceptable to you. "
            "I do not always hear the telephone.",
            "email",
        ),
        ("not email, phone please", "phone"),
        ("wait no, better email. the phone is my work one", "email"),  # a correction
        ("no email please, phone", "phone"),
        ("text is better than calling", "phone"),
        ("SMS", "phone"),
        ("i dont want a call, email", "email"),
        ("e-mail", "email"),
        ("Telephone, please.", "phone"),
        ("either is fine", "either"),
        ("I'll think about it", None),
    ],
)
def test_contact_method_with_several_mentions(text: str, expected: str | None) -> None:
    assert match_contact_method(text) == expected


@pytest.mark.parametrize(
    ("text", "name"),
    [("maya and im 19 if u need that", "maya"), ("my name is Sam, and I am 34", "Sam")],
)
def test_a_name_is_cut_before_another_detail(text: str, name: str) -> None:
    assert validate_name(text) == name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My number is 614-555-0187. Actually, I would rather you used email.", "email"),
        ("jo@example.com - on second thought just call me", "phone"),
        ("it's jo@example.com, texting is better though", "phone"),
        ("614-555-0187, I'd rather you call than text", "phone"),
        ("614-555-0187 is my cell, email me too", None),
        ("614-555-0187", None),
        ("actually email is better", None),
    ],
)
def test_a_change_of_mind_after_a_detail_names_the_method(text: str, expected) -> None:
    assert method_named_after_detail(text) == expected


@pytest.mark.parametrize(
    "text",
    ["hm thats more than i thought. lets stop here ill think about it",
     "hmm i think ill say no to the intake for now, i need to look at my budget first. sorry!!",
     "wait actually nvm ill just email them. thats all thx",
     "nvm"],
)
def test_more_ways_to_stop(text: str) -> None:
    assert stop_wish(text) == "stop"


@pytest.mark.parametrize(
    "text", ["i will pass", "I'll think about it", "I want to stop pushing people away"])
def test_not_a_stop_on_its_own(text: str) -> None:
    assert stop_wish(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Pennsylvania. One further question: roughly how long does therapy take?", "Pennsylvania."),
     ("portland, maine", "portland, maine")],
)
def test_a_region_with_a_question_beside_it_keeps_the_statement(text: str, expected: str) -> None:
    assert validate_region(text) == expected


@pytest.mark.parametrize(
    "text", ["hold on how much is a session if i pay myself. and do you do evenings", "Maine?"])
def test_a_region_answer_that_is_all_question_is_no_region(text: str) -> None:
    with pytest.raises(InvalidAnswer):
        validate_region(text)


@pytest.mark.parametrize(
    ("text", "question"),
    [("and do you do evenings", True), ("hold on, how much is a session", True),
     ("btw is it private", True), ("ok", False), ("actually Maine", False)],
)
def test_words_before_a_question_do_not_hide_it(text: str, question: bool) -> None:
    assert looks_like_question(text) is question


@pytest.mark.parametrize(
    ("text", "times"),
    [("By email at r@example.com, please, and I would prefer the afternoon.",
      "I would prefer the afternoon"),
     ("512 555 0147, after 5 on weekdays or friday morning",
      "after 5 on weekdays or friday morning"),
     ("cell 207 555 0187 dont leave a voicemail tho", None),
     ("r@example.com", None)],
)
def test_best_times_beside_a_contact_detail(text: str, times) -> None:
    assert best_times_in(text) == times


@pytest.mark.parametrize(
    ("text", "name"),
    [("yes thats fine, name is dana", "dana"), ("sure, you can call me Ruth.", "Ruth"),
     ("Yes, please go ahead. Forgive me if I am slow.", None), ("yes", None),
     ("yes, call me <b>x</b>", None)],
)
def test_a_name_beside_another_answer_needs_a_cue(text: str, name) -> None:
    from secure_base.intake.validators import name_beside
    assert name_beside(text) == name


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ME", True), ("me.", True), ("Maine", True), (" new york ", True), ("Pa", True),
     ("me and my partner", False), ("Portland", False), ("", False), (None, False)],
)
def test_is_us_state(text, expected) -> None:  # type: ignore[no-untyped-def]
    from secure_base.intake.validators import is_us_state
    assert is_us_state(text) is expected
