"""Article recommendation hit rate on held-out reading requests.

Imports the real ``articles/`` folder into a temporary SQLite database and, for every
request in ``tests/heldout/reading_requests.yml`` (a YAML list of ``{text, topic}``),
asks :func:`secure_base.catalog.search.recommend` with the free text only (topic keyword
mapping + full-text search, as the action does when the NLU found no entity). A request
is a hit when an article tagged with the labelled topic is among the first three.

Prints the hit rate (target >= 0.95) and every miss; exits 1 below 0.90.

Usage: python scripts/eval_articles.py [--articles DIR] [--requests FILE] [--quiet]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from secure_base.catalog.loader import import_directory  # noqa: E402
from secure_base.catalog.search import recommend, topics_for_query  # noqa: E402
from secure_base.db import make_engine, session_scope  # noqa: E402
from secure_base.schema import create_schema  # noqa: E402
from secure_base.topics import CONTENT_TOPIC_KEYS  # noqa: E402

ARTICLES = ROOT / "articles"
REQUESTS = ROOT / "tests" / "heldout" / "reading_requests.yml"
TOP_K = 3
TARGET = 0.95
FAIL_BELOW = 0.90
# Links are irrelevant here; a fixed base keeps the script independent of practice.yml.
BASE_URL = "http://localhost/articles/"


def load_requests(path: Path = REQUESTS) -> list[tuple[str, str]]:
    """(text, topic) pairs of the held-out file, checked for well-formedness."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    pairs = []
    for index, item in enumerate(data):
        text, topic = item.get("text"), item.get("topic")
        if not isinstance(text, str) or topic not in CONTENT_TOPIC_KEYS:
            raise ValueError(f"{path}: item {index} needs text and a content topic key: {item!r}")
        pairs.append((text, topic))
    return pairs


def hit_rate(
    verbose: bool = True, articles_dir: Path = ARTICLES, requests_path: Path = REQUESTS
) -> tuple[float, int]:
    """Computes the hit rate of the recommender on the held-out requests.

    Args:
        verbose: Print every miss and the per-topic picture.
        articles_dir: The articles folder to import.
        requests_path: The held-out requests.

    Returns:
        ``(hit_rate, number_of_requests)``.

    """
    requests = load_requests(requests_path)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'eval.db'}")
        try:
            create_schema(engine)
            with session_scope(engine) as session:
                imported = import_directory(session, articles_dir)
            hits = 0
            misses: list[str] = []
            missed_topics: Counter[str] = Counter()
            with session_scope(engine) as session:
                tagged = _tagged_topics(session)
                for text, topic in requests:
                    results = recommend(session, query=text, limit=TOP_K, base_url=BASE_URL)
                    if any(topic in r.topics for r in results):
                        hits += 1
                        continue
                    missed_topics[topic] += 1
                    got = ", ".join(f"{r.slug} {list(r.topics)[:2]}" for r in results) or "nothing"
                    note = "" if topic in tagged else " [no article is tagged with this topic]"
                    misses.append(
                        f"  MISS {topic}{note}\n    {text!r}\n"
                        f"    mapped to {topics_for_query(text)}; got {got}"
                    )
        finally:
            engine.dispose()
    rate = hits / len(requests) if requests else 0.0
    if verbose:
        print(f"Imported {len(imported.added)} articles from {articles_dir}")
        uncovered = [k for k in CONTENT_TOPIC_KEYS if k not in tagged]
        if uncovered:
            print(f"Content topics without any article: {', '.join(uncovered)}")
        for line in misses:
            print(line)
        print(
            f"Article hit rate (right topic in the first {TOP_K}): {rate:.3f} "
            f"({hits}/{len(requests)}); target {TARGET:.2f}"
        )
    return rate, len(requests)


def _tagged_topics(session) -> set[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from secure_base.catalog.models import ArticleTopic

    return set(session.execute(select(ArticleTopic.topic_key).distinct()).scalars())


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=Path, default=ARTICLES, help="articles folder")
    parser.add_argument("--requests", type=Path, default=REQUESTS, help="held-out requests")
    parser.add_argument("--quiet", action="store_true", help="print the rate only")
    args = parser.parse_args(argv)
    rate, total = hit_rate(not args.quiet, args.articles, args.requests)
    if args.quiet:
        print(f"{rate:.3f} over {total} requests")
    return 1 if rate < FAIL_BELOW else 0


if __name__ == "__main__":
    sys.exit(main())
