"""The practice profile's sections for couples_work, contact_between_sessions,
good_faith_estimate and superbill: validation (clear errors for missing, mistyped,
blank or misspelt fields) and the answers rendered from them, with the real profile
file, the real validator and the real templates."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from secure_base.importer import render_profile_responses
from secure_base.profile import PracticeProfile, ProfileError, parse_profile
from secure_base.settings import PROJECT_ROOT

RAW: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "practice.yml").read_text(encoding="utf-8"))
NEW_SECTIONS = ("couples", "between_sessions", "good_faith_estimate", "superbill")


def write(tmp_path: Path, raw: dict[str, Any]) -> Path:
    path = tmp_path / "practice.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def changed(**sections: Any) -> dict[str, Any]:
    """The real profile with some sections replaced (``None`` removes a section)."""
    raw = copy.deepcopy(RAW)
    for name, value in sections.items():
        if value is None:
            raw.pop(name, None)
        else:
            raw[name] = value
    return raw


def rendered(**sections: Any) -> dict[str, str]:
    """The first text of every rendered response, for a profile with those sections."""
    profile = PracticeProfile.parse_obj(changed(**sections))
    return {name: v[0]["text"] for name, v in render_profile_responses(profile).items()}


# ---- validation -----------------------------------------------------------------------


def test_the_practice_profile_fills_in_every_new_section(tmp_path: Path) -> None:
    profile = parse_profile(write(tmp_path, RAW))
    assert profile.couples.offered is True and profile.couples.note
    assert profile.between_sessions.response_time == "within one business day"
    assert profile.good_faith_estimate.how and profile.superbill.provided is True
    # Optional notes may be left out.
    minimal = changed(couples={"offered": False}, superbill={"provided": False},
                      good_faith_estimate={"how": "Ask us when you book."})
    profile = parse_profile(write(tmp_path, minimal))
    assert profile.couples.note == profile.superbill.note == profile.good_faith_estimate.note == ""


@pytest.mark.parametrize("section", NEW_SECTIONS)
def test_a_missing_section_names_itself(tmp_path: Path, section: str) -> None:
    with pytest.raises(ProfileError, match=rf"(?s){section}.*field required"):
        parse_profile(write(tmp_path, changed(**{section: None})))


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"couples": {"note": "We see couples."}}, r"(?s)couples -> offered.*field required"),
        ({"couples": {"offered": "sometimes"}}, "couples.offered must be true or false"),
        ({"couples": {"offered": 1}}, "couples.offered must be true or false"),
        ({"couples": {"offered": True, "notes": "typo"}}, "extra fields not permitted"),
        ({"superbill": {"provided": "monthly"}}, "superbill.provided must be true or false"),
        ({"superbill": {"note": "Monthly."}}, r"(?s)superbill -> provided.*field required"),
        ({"between_sessions": {"how": "Email.", "response_time": "A day."}},
         r"(?s)between_sessions -> after_hours.*field required"),
        ({"between_sessions": {"how": "  ", "response_time": "A day.", "after_hours": "No."}},
         "between_sessions.how must not be empty"),
        ({"between_sessions": {"how": "Email.", "response_time": ["a day"], "after_hours": "No."}},
         r"(?s)between_sessions -> response_time.*str type expected"),
        ({"good_faith_estimate": {"how": ""}}, "good_faith_estimate.how must not be empty"),
        ({"good_faith_estimate": {"note": "Weekly."}},
         r"(?s)good_faith_estimate -> how.*field required"),
        ({"good_faith_estimate": "yes"}, r"(?s)good_faith_estimate.*valid dict"),
    ],
)
def test_wrong_or_misspelt_fields_fail_with_a_clear_message(
    tmp_path: Path, sections: dict[str, Any], message: str
) -> None:
    with pytest.raises(ProfileError, match=message):
        parse_profile(write(tmp_path, changed(**sections)))


def test_yaml_yes_and_no_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "practice.yml"
    source = (PROJECT_ROOT / "practice.yml").read_text(encoding="utf-8")
    path.write_text(source.replace("  offered: true", "  offered: no"), encoding="utf-8")
    assert parse_profile(path).couples.offered is False


# ---- answers rendered from the sections -------------------------------------------------


@pytest.mark.parametrize("offered", [True, False])
@pytest.mark.parametrize("region", ["US", "UK"])
def test_couples_answers_put_safety_first_whether_offered_or_not(
    offered: bool, region: str
) -> None:
    crisis = copy.deepcopy(RAW["crisis"])
    crisis["region"] = region
    note = "Two therapists see couples." if offered else "We can suggest colleagues."
    texts = rendered(couples={"offered": offered, "note": note}, crisis=crisis)
    here = RAW["crisis"]["regions"][region]
    other = RAW["crisis"]["regions"]["UK" if region == "US" else "US"]
    answer, more, short = (texts[f"{kind}couples_work"]
                           for kind in ("utter_faq/", "utter_more_", "utter_short_"))
    assert note in answer
    assert ("offers couples therapy" in answer) is offered
    assert ("doesn't offer couples therapy" in answer) is (not offered)
    assert "abuse" in answer and "individual support comes first" in answer
    assert here["emergency"] in answer
    for text in (answer, more, short):
        assert all(line in text for line in here["domestic_violence"])
        assert not any(line in text for line in other["domestic_violence"])
    assert ("doesn't offer" in short) is (not offered) and "?" not in short


@pytest.mark.parametrize("region", ["US", "UK"])
def test_contact_between_sessions_says_messages_are_not_monitored_and_gives_crisis_lines(
    region: str,
) -> None:
    crisis = copy.deepcopy(RAW["crisis"])
    crisis["region"] = region
    between = {"how": "Email your therapist for practical things.",
               "response_time": "within two business days.",
               "after_hours": "Evening messages wait until morning."}
    texts = rendered(between_sessions=between, crisis=crisis)
    here = RAW["crisis"]["regions"][region]
    answer = texts["utter_faq/contact_between_sessions"]
    assert between["how"] in answer and between["after_hours"] in answer
    assert "reply within two business days." in answer  # no doubled full stop
    assert "not monitored after hours" in answer
    assert here["emergency"] in answer
    for name in ("utter_faq/", "utter_more_", "utter_short_"):
        text = texts[f"{name}contact_between_sessions"]
        assert all(line in text for line in here["lines"]), name


def test_good_faith_estimate_answers_give_the_rights_and_the_400_dollar_dispute() -> None:
    texts = rendered(good_faith_estimate={"how": "We email it when you book.",
                                          "note": "It covers 12 months."})
    answer = texts["utter_faq/good_faith_estimate"]
    assert "We email it when you book. It covers 12 months." in answer
    assert "No Surprises Act" in answer and "$400 or more" in answer
    assert "don't have health insurance" in answer
    more = texts["utter_more_good_faith_estimate"]
    assert "120 days" in more and "1-800-985-3059" in more and "isn't a contract" in more
    # Without the optional note, the answer goes straight on to the dispute.
    bare = rendered(good_faith_estimate={"how": "Ask us."})["utter_faq/good_faith_estimate"]
    assert "gives it: Ask us.\nIf a bill" in bare


@pytest.mark.parametrize("provided", [True, False])
def test_superbill_answers_list_what_is_on_one_and_whether_the_practice_gives_them(
    provided: bool,
) -> None:
    texts = rendered(superbill={"provided": provided})
    answer = texts["utter_faq/superbill"]
    for part in ("dates of service", "CPT", "diagnosis code", "ICD-10", "what you paid",
                 "license", "NPI", "tax ID", "up to your insurer"):
        assert part in answer, part
    assert ("provides superbills" in answer) is provided
    assert ("doesn't provide superbills" in texts["utter_short_superbill"]) is (not provided)
    more = texts["utter_more_superbill"]
    assert "diagnosis code" in more
    # Tips match what the practice gives: no "send the superbill" when it gives none.
    assert ("send the superbill" in more) is provided
