"""Content checks for answers and articles: reading grade and words shared with the seed.

Usage::

    python scripts/content_report.py [--seed-dir DIR] [--max-grade 10]

Prints the Flesch-Kincaid grade of every answer (``utter_faq/``, ``utter_more_``,
``utter_compare_`` responses, templates rendered with ``practice.yml``) and every article,
hardest first, then every run of :data:`RUN_WORDS` or more words that an answer or
article shares with the practice's own writing (the seed folder). Exits with 1 when a
run is shared or an answer is above ``--max-grade``.

The grade uses a vowel-group syllable count, so it is an estimate (within about one grade
of dictionary-based tools); it is meant to spot the hard answers, not to certify any.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from secure_base.catalog.articles import validate_directory
from secure_base.importer import render_profile_responses
from secure_base.profile import load_profile
from secure_base.settings import PROJECT_ROOT

RUN_WORDS = 8
ANSWER_PREFIXES = ("utter_faq/", "utter_more_", "utter_compare_")
SEED_ENV = "SECURE_BASE_SEED_DIR"

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|\n\s*\n|\n\s*[-*•]\s")


@dataclass(frozen=True)
class Text:
    """One piece of content: ``name`` is a response name or ``article:<slug>``."""

    name: str
    text: str


def words(text: str) -> list[str]:
    """Lowercase words of ``text``; curly quotes and dashes count as plain separators."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return _WORD.findall(text)


def shared_runs(text: str, seed: str, n: int = RUN_WORDS) -> list[str]:
    """Every maximal run of at least ``n`` words that ``text`` shares with ``seed``.

    Args:
        text: Our text.
        seed: The practice's text.
        n: Shortest run that counts.

    Returns:
        The shared runs, joined by spaces, in the order they appear in ``text``.

    """
    ours, theirs = words(text), words(seed)
    grams = {tuple(theirs[i : i + n]) for i in range(len(theirs) - n + 1)}
    runs: list[str] = []
    i = 0
    while i <= len(ours) - n:
        if tuple(ours[i : i + n]) in grams:
            end = i + n
            while end < len(ours) and tuple(ours[end - n + 1 : end + 1]) in grams:
                end += 1
            runs.append(" ".join(ours[i:end]))
            i = end
        else:
            i += 1
    return runs


def syllables(word: str) -> int:
    """Estimated syllables of an English word (vowel groups, silent final e)."""
    word = word.lower().strip("'")
    if len(word) <= 3:
        return 1
    word = re.sub(r"(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$", "", word)
    word = re.sub(r"^y", "", word)
    return max(1, len(re.findall(r"[aeiouy]{1,2}", word)))


def grade(text: str) -> float:
    """Flesch-Kincaid grade level of ``text`` (0 for text without words)."""
    found = words(text)
    if not found:
        return 0.0
    sentences = max(1, len([s for s in _SENTENCE_END.split(text) if words(s)]))
    syl = sum(syllables(w) for w in found)
    return 0.39 * len(found) / sentences + 11.8 * syl / len(found) - 15.59


def _strip_markdown(body: str) -> str:
    body = re.sub(r"^#+\s*", "", body, flags=re.M)
    body = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", body)
    return body.replace("**", "").replace("_", " ")


def answers(root: Path = PROJECT_ROOT) -> list[Text]:
    """Every FAQ answer, follow-up and comparison, templates rendered with the profile."""
    responses: dict = {}
    for path in sorted((root / "data" / "responses").glob("*.yml")):
        responses.update(yaml.safe_load(path.read_text(encoding="utf-8")).get("responses", {}))
    responses.update(render_profile_responses(load_profile()))
    found = []
    for name, variations in sorted(responses.items()):
        if name.startswith(ANSWER_PREFIXES):
            for variation in variations:
                if "condition" not in variation and variation.get("text"):
                    found.append(Text(name, variation["text"]))
    return found


def articles(root: Path = PROJECT_ROOT) -> list[Text]:
    """Every article's summary and body, Markdown marks removed."""
    report = validate_directory(root / "articles")
    if not report.ok:
        raise SystemExit(report.format_problems())
    return [
        Text(f"article:{a.slug}", f"{a.summary}\n\n{_strip_markdown(a.body)}")
        for a in report.articles
    ]


def find_seed_dir(start: Path = PROJECT_ROOT) -> Path | None:
    """The seed folder: ``$SECURE_BASE_SEED_DIR``, else ``shared/seed`` beside a parent."""
    if os.environ.get(SEED_ENV):
        path = Path(os.environ[SEED_ENV])
        return path if path.is_dir() else None
    for parent in [start, *start.parents]:
        candidate = parent.parent / "shared" / "seed"
        if candidate.is_dir():
            return candidate
    return None


def seed_text(directory: Path) -> str:
    """All seed files joined (a run cannot cross from one file into the next)."""
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix in {".txt", ".md"})
    return "\n\n. . . . . . . .\n\n".join(p.read_text(encoding="utf-8") for p in files)


def overlaps(texts: Iterable[Text], seed: str, n: int = RUN_WORDS) -> Iterator[tuple[str, str]]:
    """``(name, run)`` for every run of ``n`` or more words shared with the seed."""
    for item in texts:
        for run in shared_runs(item.text, seed, n):
            yield item.name, run


def main(argv: list[str] | None = None) -> int:
    """Prints grades and overlaps; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-dir", type=Path, default=None)
    parser.add_argument("--max-grade", type=float, default=10.0)
    args = parser.parse_args(argv)
    ans, arts = answers(), articles()
    status = 0
    print(f"{'grade':>6}  {'words':>5}  name")
    for item in sorted(ans + arts, key=lambda t: -grade(t.text)):
        g = grade(item.text)
        flag = "  <- above the gate" if g > args.max_grade and item in ans else ""
        print(f"{g:6.1f}  {len(words(item.text)):5d}  {item.name}{flag}")
        if flag:
            status = 1
    mean = sum(grade(t.text) for t in ans) / len(ans)
    print(f"\n{len(ans)} answers, mean grade {mean:.1f}; {len(arts)} articles")
    seed_dir = args.seed_dir or find_seed_dir()
    if seed_dir is None:
        print(f"seed folder not found (set {SEED_ENV}); overlap not checked")
        return status
    shared = list(overlaps(ans + arts, seed_text(seed_dir)))
    for name, run in shared:
        print(f"shares {len(run.split())} words with the seed: {name}: {run!r}")
    if shared:
        status = 1
    else:
        print(f"no run of {RUN_WORDS}+ words shared with {seed_dir}")
    return status


if __name__ == "__main__":
    sys.exit(main())
