"""Content checks for answers and articles (issue 16).

* No answer or article shares a run of 8 or more words with the practice's own writing
  (the seed folder, ``shared/seed`` beside the checkout or ``$SECURE_BASE_SEED_DIR``).
* Every answer reads at about grade 10 or below (estimated Flesch-Kincaid).
* Answers about relationship patterns, boundaries, the anxious/avoidant pairing and grief
  about parents name abuse and the region's domestic-violence help from the profile.
* Articles on those subjects point to domestic-violence help too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scripts.content_report import (
    RUN_WORDS,
    answers,
    articles,
    find_seed_dir,
    grade,
    seed_text,
    shared_runs,
    words,
)
from secure_base.importer import render_profile_responses
from secure_base.profile import load_profile
from secure_base.settings import PROJECT_ROOT

DV_RESPONSES = (
    "utter_faq/adult_relationship_patterns",
    "utter_more_adult_relationship_patterns",
    "utter_faq/boundaries_without_guilt",
    "utter_more_boundaries_without_guilt",
    "utter_compare_anxious_attachment__avoidant_attachment",
    "utter_more_grief_in_therapy",
)
DV_ARTICLES = (
    "setting-boundaries-without-guilt",
    "anxious-attachment-fear-of-abandonment",
    "avoidant-attachment-why-closeness-makes-you-pull-away",
    "grieving-what-you-didnt-get",
    "disorganized-attachment-longing-and-fear-together",
    "is-it-abuse-or-an-attachment-clash",
    "neurodivergence-and-attachment-different-not-distant",
)


def test_shared_runs_finds_maximal_runs_of_eight_words() -> None:
    seed = "We all long to feel safe, loved and understood, not just in our minds."
    ours = "Many of us long to feel safe, loved and understood, not just at work."
    assert shared_runs(ours, seed) == ["long to feel safe loved and understood not just"]
    # Seven shared words are not a run; curly apostrophes match straight ones.
    assert shared_runs("we all long to feel safe, loved", seed) == []
    curly, straight = "You don\u2019t have to do it alone today", "you don't have to do it alone ok"
    assert shared_runs(curly, straight, 7) == ["you don't have to do it alone"]
    assert words("It\u2019s fine \u2014 really") == ["it's", "fine", "really"]


def test_no_answer_or_article_shares_eight_words_with_the_seed() -> None:
    seed_dir = find_seed_dir()
    if seed_dir is None:
        pytest.skip("the practice's seed folder is not beside this checkout")
    seed = seed_text(seed_dir)
    assert len(words(seed)) > 500  # the folder really holds the practice's writing
    found = [
        (item.name, run)
        for item in answers() + articles()
        for run in shared_runs(item.text, seed, RUN_WORDS)
    ]
    assert found == [], "rewrite these in your own words:\n" + "\n".join(map(str, found))


def test_grade_estimate_tells_plain_from_dense_text() -> None:
    plain = "The cat sat on the mat. It was warm. The dog came in and lay down too."
    dense = (
        "Intergenerational transmission of attachment representations is substantially "
        "mediated by parental sensitivity, notwithstanding considerable methodological "
        "heterogeneity across investigations."
    )
    assert grade(plain) < 3 < 12 < grade(dense)


def test_every_answer_reads_at_grade_ten_or_below() -> None:
    hard = {t.name: round(grade(t.text), 1) for t in answers() if grade(t.text) > 10}
    assert hard == {}


def _profile_with_region(tmp_path: Path, region: str) -> Path:
    data = yaml.safe_load((PROJECT_ROOT / "practice.yml").read_text(encoding="utf-8"))
    data["crisis"]["region"] = region
    path = tmp_path / "practice.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("region", ["US", "UK"])
def test_relationship_answers_name_abuse_and_the_regions_dv_line(
    tmp_path: Path, region: str
) -> None:
    profile = load_profile(_profile_with_region(tmp_path, region))
    rendered = render_profile_responses(profile)
    current = profile.crisis.current()
    others = [r for k, r in profile.crisis.regions.items() if k != region]
    for name in DV_RESPONSES:
        text = rendered[name][0]["text"]
        assert "abuse" in text, name
        for line in current.domestic_violence:
            assert line in text, name
        for other in others:
            assert not any(line in text for line in other.domestic_violence), name
    # Where danger may be now, the emergency number is given too.
    for name in ("utter_more_adult_relationship_patterns", "utter_more_grief_in_therapy"):
        assert current.emergency in rendered[name][0]["text"]


def test_each_response_is_defined_once() -> None:
    static: dict[str, str] = {}
    for path in sorted((PROJECT_ROOT / "data" / "responses").glob("*.yml")):
        for name in yaml.safe_load(path.read_text(encoding="utf-8"))["responses"]:
            assert name not in static, f"{name} in {path.name} and {static[name]}"
            static[name] = path.name
    templated = render_profile_responses(load_profile())
    assert set(static) & set(templated) == set()
    assert set(DV_RESPONSES) <= set(templated)


def test_articles_on_relationships_point_to_domestic_violence_help() -> None:
    bodies = {t.name.removeprefix("article:"): t.text for t in articles()}
    for slug in DV_ARTICLES:
        text = bodies[slug]
        assert "abuse" in text, slug
        assert "1-800-799-7233" in text and "0808 2000 247" in text, slug


@pytest.mark.parametrize(
    "slug",
    [
        "when-your-feelings-feel-like-too-much",
        "your-nervous-system-and-the-feeling-of-safety",
        "disorganized-attachment-longing-and-fear-together",
        "finding-words-for-what-you-feel",
    ],
)
def test_body_exercises_in_articles_come_with_a_way_out(slug: str) -> None:
    text = {t.name: t.text for t in articles()}[f"article:{slug}"].lower()
    assert "worse" in text and "stop" in text, slug


@pytest.mark.parametrize("region", ["US", "UK"])
def test_next_question_answers_on_abuse_and_loss_give_the_regions_help(
    tmp_path: Path, region: str
) -> None:
    """abuse_or_attachment and the deeper breakups answer name the region's help (issue 16)."""
    profile = load_profile(_profile_with_region(tmp_path, region))
    rendered = render_profile_responses(profile)
    current = profile.crisis.current()
    others = [r for k, r in profile.crisis.regions.items() if k != region]
    names = (
        "utter_faq/abuse_or_attachment",
        "utter_more_abuse_or_attachment",
        "utter_short_abuse_or_attachment",
        "utter_more_breakups_and_loss",
    )
    for name in names:
        text = rendered[name][0]["text"]
        assert "abuse" in text, name
        assert all(line in text for line in current.domestic_violence), name
        assert not any(line in text for o in others for line in o.domestic_violence), name
    for name in ("utter_faq/abuse_or_attachment", "utter_more_abuse_or_attachment"):
        assert current.emergency in rendered[name][0]["text"], name
    # Thoughts of ending one's life after a loss: the region's first crisis line.
    assert current.lines[0] in rendered["utter_more_breakups_and_loss"][0]["text"]
