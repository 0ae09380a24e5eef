"""Whole conversations, as a new user has them: blind scenarios, handoff and reading requests.

Starts the real servers on a trained model (tests/stack.py: action server + Rasa with
the REST channel), then:

* **Scenarios** (``tests/heldout/scenarios/<batch>/*.yml``, written blind by independent
  authors from docs/conversation_scenario_guide.md): each user turn is sent over REST
  and the bot's reply for that turn is read from the tracker (the response names Rasa
  records in each bot event's metadata, the actions run, and the text). A turn passes
  when every expected behaviour holds; a scenario passes when all its turns do.
* **talk_to_human recall**: the authors' ways of asking for a person, parsed by the model.
* **Reading requests with a fitting article in the same reply**: each request (the
  authors' and ``tests/heldout/reading_requests.yml``) is the first message of a new
  conversation; a hit is a reply that links an article tagged with the labelled topic.
* **Intake completion** on ``tests/heldout/intake_messy.yml``: scripted messy-but-valid
  answer sequences; completed means the intake was submitted.

``--totals-only`` prints totals without naming a failing scenario: the ``test`` batch is
never read (docs/evaluation.md). Exits 1 when a gate fails (reading requests < 0.90).

Usage: python scripts/eval_conversations.py [--model M] [--batch dev|test|all] [--totals-only]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from secure_base.catalog.articles import article_files, parse_article  # noqa: E402
from secure_base.crisis import CRISIS_RESPONSE  # noqa: E402
from secure_base.profile import load_profile  # noqa: E402
from tests.stack import Stack, latest_model, run_module  # noqa: E402

HELDOUT = ROOT / "tests" / "heldout"
SCENARIOS = HELDOUT / "scenarios"
GATES = {"reading_same_reply": 0.90}
STORY_HEADER = """\
# Dev scenarios written blind (tests/heldout/scenarios/dev/) that passed every expected
# behaviour, frozen as conversation tests by
# `python scripts/eval_conversations.py --emit-stories tests/conversations/scenarios`.
# Regenerate after a deliberate behaviour change; never edit by hand. A message whose
# entities Rasa's writer cannot write as text (the safety net's true/false check-in flag,
# overlapping topic entities) is an intent-only step; its story name says how many.
"""
ARTICLE_LINK = re.compile(r"/articles/([a-z0-9][a-z0-9-]*)")

# Which intake question each guide field stands for (utter_ask_<slot>, and its variants).
INTAKE_FIELDS = {
    "consent": ("intake_consent",),
    "name": ("preferred_name",),
    "age": ("age",),
    "contact_method": ("contact_method",),
    "email": ("email",),
    "phone": ("phone",),
    "region": ("region",),
    "reason": ("reason",),
    "previous_therapy": ("previous_therapy",),
    "hopes": ("hopes",),
    "session_format": ("session_format",),
    "availability": ("availability",),
    "payment": ("payment",),
    "screening": ("phq_", "gad_", "asq_"),
    "confirm": ("intake_confirm",),
}
DECLINES = {
    "utter_request_assessment",
    "utter_ask_medication",
    "utter_ask_legal",
    "utter_ask_medical",
    "utter_out_of_scope",
}


@dataclass
class Reply:
    """What the bot did for one user turn."""

    responses: list[str] = field(default_factory=list)  # response names, in order
    actions: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    earlier_texts: list[str] = field(default_factory=list)  # the bot's texts before this turn
    requested_slot: str | None = None

    @property
    def text(self) -> str:
        """All the reply's texts, one per line."""
        return "\n".join(self.texts)

    def said(self, *prefixes: str) -> bool:
        """Whether a response whose name starts with one of ``prefixes`` was sent."""
        return any(name.startswith(prefixes) for name in self.responses)

    def ran(self, *names: str) -> bool:
        """Whether one of the actions ``names`` ran."""
        return any(name in names for name in self.actions)


def article_topics() -> dict[str, set[str]]:
    """Slug -> topic keys of every valid article in ``articles/``."""
    topics = {}
    for path in article_files(ROOT / "articles"):
        article, _problems = parse_article(path)
        if article is not None:
            topics[article.slug] = set(article.topics)
    return topics


class Checks:
    """How each behaviour of the guide is recognised in a :class:`Reply`."""

    def __init__(self) -> None:
        self.articles = article_topics()
        profile = load_profile()
        self.check_in_line = profile.safety_check_in_line().strip()

    def linked_topics(self, reply: Reply) -> set[str]:
        """Topic keys of the articles the reply links to."""
        found: set[str] = set()
        for slug in ARTICLE_LINK.findall(reply.text):
            found |= self.articles.get(slug, set())
        return found

    def holds(self, behaviour: str, reply: Reply) -> bool:
        """Whether ``behaviour`` (``name`` or ``name: argument``) holds for ``reply``."""
        name, _, arg = (part.strip() for part in behaviour.partition(":"))
        if name == "not":
            return not self.holds(arg, reply)
        check: Callable[[Reply, str], bool] | None = getattr(self, f"_{name}", None)
        if check is None:
            raise ValueError(f"unknown behaviour {behaviour!r}")
        return check(reply, arg)

    # -- one method per behaviour (docs/conversation_scenario_guide.md) -----------------
    def _answers(self, r: Reply, topic: str) -> bool:
        return any(
            n.endswith((f"/{topic}", f"_{topic}")) or f"__{topic}" in n or f"{topic}__" in n
            for n in r.responses
            if not n.startswith("utter_example_")
        )

    def _articles(self, r: Reply, topic: str) -> bool:
        return topic in self.linked_topics(r)

    def _example(self, r: Reply, topic: str) -> bool:
        return f"utter_example_{topic}" in r.responses

    def _clarifies(self, r: Reply, _: str) -> bool:
        return r.ran("action_clarify_topic") or r.said("utter_clarify")

    def _handoff(self, r: Reply, _: str) -> bool:
        return r.said("utter_handoff", "utter_iamabot") or r.ran("action_talk_to_human")

    def _callback_asks(self, r: Reply, _: str) -> bool:
        return r.said("utter_ask_callback") or (r.requested_slot or "").startswith("callback")

    def _callback_done(self, r: Reply, _: str) -> bool:
        return r.said("utter_callback_saved", "utter_callback_submitted", "utter_callback_done")

    def _intake_asks(self, r: Reply, field_name: str) -> bool:
        slots = INTAKE_FIELDS[field_name]
        return any(n.startswith(f"utter_ask_{s}") for n in r.responses for s in slots) or any(
            (r.requested_slot or "").startswith(s) for s in slots
        )

    def _intake_stopped(self, r: Reply, _: str) -> bool:
        return r.said("utter_intake_discarded", "utter_intake_declined", "utter_intake_stopped",
                      "utter_intake_paused", "utter_intake_cancelled")

    def _intake_done(self, r: Reply, _: str) -> bool:
        return r.said("utter_intake_submitted")

    def _crisis(self, r: Reply, _: str) -> bool:
        return CRISIS_RESPONSE in r.responses

    def _check_in(self, r: Reply, _: str) -> bool:
        gentle = r.said("utter_gentle_check_in", "utter_distress_check_in", "utter_check_in")
        return (gentle or self.check_in_line in r.text) and not self._crisis(r, "")

    def _acknowledges(self, r: Reply, _: str) -> bool:
        return bool(r.responses) and r.responses[0].startswith("utter_acknowledge")

    def _greets(self, r: Reply, _: str) -> bool:
        return r.said("utter_greet", "utter_welcome_back")

    def _welcome_back(self, r: Reply, _: str) -> bool:
        return r.said("utter_welcome_back")

    def _thanks_reply(self, r: Reply, _: str) -> bool:
        return r.said("utter_thanks", "utter_youre_welcome")

    def _closes(self, r: Reply, _: str) -> bool:
        return r.said("utter_goodbye", "utter_closing", "utter_nothing_else")

    def _reassures(self, r: Reply, _: str) -> bool:
        return r.said("utter_reassure", "utter_no_need_to_apologi", "utter_apology")

    def _invites(self, r: Reply, _: str) -> bool:
        return r.said("utter_invite", "utter_take_your_time", "utter_greet",
                      "utter_distress_check_in")

    def _declines(self, r: Reply, _: str) -> bool:
        return any(n in DECLINES or n.startswith("utter_decline") for n in r.responses)

    def _bot_disclosure(self, r: Reply, _: str) -> bool:
        return r.said("utter_iamabot", "utter_handoff", "utter_greet")

    def _not_repeated(self, r: Reply, _: str) -> bool:
        earlier = set(r.earlier_texts)
        return not any(text in earlier for text in r.texts if len(text) > 40)


def behaviour_text(expected: Any) -> str:
    """An expectation as ``name: argument`` text (YAML may have read ``a: b`` as a mapping)."""
    if isinstance(expected, dict):
        return "; ".join(f"{key}: {behaviour_text(value)}" for key, value in expected.items())
    return str(expected)


def replies_from(events: list[dict[str, Any]]) -> list[Reply]:
    """Split a tracker's events into one :class:`Reply` per user message."""
    replies: list[Reply] = []
    said: list[str] = []
    current: Reply | None = None
    requested: str | None = None
    for event in events:
        kind = event.get("event")
        if kind == "user":
            current = Reply(earlier_texts=list(said))
            replies.append(current)
        elif current is None:
            continue
        elif kind == "bot":
            name = (event.get("metadata") or {}).get("utter_action")
            if name:
                current.responses.append(name)
            text = event.get("text") or ""
            current.texts.append(text)
            said.append(text)
        elif kind == "action" and event.get("name") != "action_listen":
            current.actions.append(event["name"])
        elif kind == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
            current.requested_slot = requested
    return replies


@dataclass
class ScenarioResult:
    """One scenario's outcome: turns passed, and why the others failed."""

    ident: str
    author: str
    passed_turns: int
    turns: int
    failures: list[str]

    @property
    def passed(self) -> bool:
        """Whether every turn passed."""
        return self.passed_turns == self.turns


def run_scenario(
    stack: Stack, checks: Checks, author: str, scenario: dict
) -> tuple[ScenarioResult, list[dict[str, Any]]]:
    """Send a scenario's turns in a new conversation and check each reply."""
    sender = f"scenario-{uuid.uuid4().hex}"
    turns = scenario.get("turns") or []
    for turn in turns:
        stack.send(str(turn.get("user", "")), sender)
    events = stack.tracker(sender).get("events", [])
    replies = replies_from(events)
    passed, failures = 0, []
    for index, turn in enumerate(turns):
        reply = replies[index] if index < len(replies) else Reply()
        expected = [behaviour_text(b) for b in turn.get("expect") or []]
        missing = [b for b in expected if not checks.holds(b, reply)]
        if missing:
            failures.append(f"turn {index + 1}: {turn.get('user')!r} missing {missing}; "
                            f"got {reply.responses or reply.actions}")
        else:
            passed += 1
    return ScenarioResult(str(scenario.get("id")), author, passed, len(turns), failures), events


def writable(message: dict[str, Any]) -> bool:
    """Whether Rasa's story writer can write this user message with its entities.

    Entity markup cannot nest, and test stories accept only text and number values: a
    message with overlapping entities or a true/false value (the safety net's check-in
    flag spans the whole message) cannot be written as text.
    """
    entities = (message.get("parse_data") or {}).get("entities") or []
    if any(isinstance(e.get("value"), bool) for e in entities):
        return False
    spans = sorted((e.get("start", 0), e.get("end", 0)) for e in entities)
    return not any(a[1] > b[0] for a, b in zip(spans, spans[1:], strict=False))


def as_intent_only(events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The events, with each message the story writer cannot write as an intent-only step.

    The conversation test then checks the dialogue around such a message, not the NLU of
    that one message. Also returns how many messages were turned.
    """
    turned = 0
    result = []
    for event in events:
        if event.get("event") == "user" and not writable(event):
            event = {**event, "text": None,
                     "parse_data": {**(event.get("parse_data") or {}), "text": None}}
            turned += 1
        result.append(event)
    return result, turned


def story_steps(story_name: str, events: list[dict[str, Any]]) -> list[Any]:
    """The conversation's steps as Rasa reads them from its tracker (text, intent, entities)."""
    from rasa.shared.core.events import deserialise_events
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker.from_events(story_name, deserialise_events(events))
    steps = tracker.as_story().story_steps
    for step in steps:
        step.block_name = story_name
    return steps


def write_stories(path: Path, steps: list[Any], header: str) -> None:
    """Write ``steps`` as Rasa test stories (Rasa's own writer), after a comment header.

    Used to freeze dev scenarios that passed their blind expectations as conversation
    tests (tests/conversations/scenarios/), so CI catches a later regression.
    """
    from rasa.shared.core.training_data.story_writer.yaml_story_writer import YAMLStoryWriter

    path.parent.mkdir(parents=True, exist_ok=True)
    body = YAMLStoryWriter().dumps(steps, is_test_story=True)
    path.write_text(header + body, encoding="utf-8")


def load_authors(batch: str) -> list[dict]:
    """Every author file of the batch (``dev``, ``test`` or ``all``), tagged with it."""
    batches = ["dev", "test"] if batch == "all" else [batch]
    files: list[Path] = []
    for name in batches:
        files += sorted((SCENARIOS / name).glob("*.yml"))
    return [yaml.safe_load(path.read_text(encoding="utf-8")) | {"_batch": path.parent.name}
            for path in files]


def rate(hits: int, total: int) -> str:
    """``0.950 (19/20)``."""
    return f"{hits / total:.3f} ({hits}/{total})" if total else "n/a (0)"


def talk_to_human_recall(stack: Stack, authors: Iterable[dict]) -> tuple[Counter, list[str]]:
    """How many of the authors' requests for a person parse as ``talk_to_human``, per batch.

    Returns counts (``<batch>`` and ``<batch>_hits``), and the misses of the dev batch
    (the test batch is never read).
    """
    counts: Counter = Counter()
    misses: list[str] = []
    for author in authors:
        batch = author["_batch"]
        for text in author.get("talk_to_human") or []:
            counts[batch] += 1
            got = stack.parse(str(text)).get("intent", {}).get("name")
            if got == "talk_to_human":
                counts[f"{batch}_hits"] += 1
            elif batch != "test":
                misses.append(f"{text!r} -> {got}")
    return counts, misses


def reading_requests(authors: Iterable[dict]) -> list[tuple[str, str, str]]:
    """(text, topic, batch) of every held-out reading request."""
    pairs = [(str(r["text"]), str(r["topic"]), a["_batch"]) for a in authors
             for r in a.get("reading_requests") or []]
    extra = yaml.safe_load((HELDOUT / "reading_requests.yml").read_text(encoding="utf-8"))
    return pairs + [(str(r["text"]), str(r["topic"]), "dev") for r in extra]


def reading_same_reply(stack: Stack, checks: Checks, pairs: list[tuple[str, str, str]]
                       ) -> tuple[int, list[str]]:
    """Hits, and the misses of the dev batch (the test batch is never read)."""
    hits, misses = 0, []
    for text, topic, batch in pairs:
        sender = f"reading-{uuid.uuid4().hex}"
        stack.send(text, sender)
        reply = replies_from(stack.tracker(sender).get("events", []))[0]
        if checks.holds(f"articles: {topic}", reply):
            hits += 1
        elif batch != "test":
            misses.append(f"{topic}: {text!r} -> {sorted(checks.linked_topics(reply))}")
    return hits, misses


def intake_completion(stack: Stack, checks: Checks) -> tuple[int, int, list[str]]:
    """Completed, total, and the ids of the sequences that did not submit an intake."""
    path = HELDOUT / "intake_messy.yml"
    if not path.exists():
        return 0, 0, []
    sequences = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    done, failed = 0, []
    for sequence in sequences:
        sender = f"intake-{uuid.uuid4().hex}"
        for message in sequence["messages"]:
            stack.send(str(message), sender)
        replies = replies_from(stack.tracker(sender).get("events", []))
        if any(checks.holds("intake_done", r) for r in replies):
            done += 1
        else:
            failed.append(str(sequence.get("id")))
    return done, len(sequences), failed


def main() -> int:
    """Run everything and print the figures; 1 when a gate fails."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--batch", choices=["dev", "test", "all"], default="all")
    parser.add_argument("--emit-stories", type=Path, default=None, metavar="DIR",
                        help="write the dev scenarios that passed as Rasa test stories here")
    parser.add_argument("--totals-only", action="store_true",
                        help="print no scenario ids or texts (always so for the test batch)")
    args = parser.parse_args()
    model = args.model or latest_model()
    if model is None:
        print("no trained model in models/ (run `make train`)", file=sys.stderr)
        return 1
    checks = Checks()
    authors = load_authors(args.batch)
    failed_gates = []
    with tempfile.TemporaryDirectory(prefix="eval-conversations-") as data_dir:
        stack = Stack(Path(data_dir), model)
        # The article catalog, imported as `make run` does (scripts/run.sh).
        imported = run_module("secure_base.catalog", "import", "--dir", "articles", env=stack.env)
        if imported.returncode != 0:
            print(imported.stdout + imported.stderr, file=sys.stderr)
            return 1
        stack.start()
        try:
            by_batch: dict[str, Counter] = {}
            for author in authors:
                batch = author["_batch"]
                counts = by_batch.setdefault(batch, Counter())
                frozen: list[Any] = []
                for scenario in author.get("scenarios") or []:
                    result, events = run_scenario(stack, checks, str(author.get("author")),
                                                  scenario)
                    if result.passed and batch == "dev" and args.emit_stories:
                        events, turned = as_intent_only(events)
                        about = str(scenario.get("about", ""))
                        if turned:
                            print(f"frozen with {turned} message(s) as intent-only steps "
                                  f"(entities Rasa's story writer cannot write): {result.ident}")
                            about += f" [{turned} message(s) as intent only]"
                        frozen += story_steps(f"{result.ident}: {about}", events)
                    counts["scenarios"] += 1
                    counts["passed"] += result.passed
                    counts["turns"] += result.turns
                    counts["passed_turns"] += result.passed_turns
                    if not result.passed and batch != "test" and not args.totals_only:
                        print(f"FAIL {result.ident}")
                        for failure in result.failures:
                            print(f"    {failure}")
                if frozen:
                    name = str(author.get("author")).lower()
                    write_stories(args.emit_stories / f"{name}.yml", frozen, STORY_HEADER)
            print("\nScenarios (written blind; the test batch is never read):")
            for batch, c in sorted(by_batch.items()):
                print(f"  {batch:5s} scenarios passed {rate(c['passed'], c['scenarios'])}, "
                      f"turns passed {rate(c['passed_turns'], c['turns'])}")
            human, human_misses = talk_to_human_recall(stack, authors)
            for batch in sorted(b for b in human if not b.endswith("_hits")):
                print(f"talk_to_human recall on held-out phrasings, {batch:5s}: "
                      f"{rate(human[f'{batch}_hits'], human[batch])} (target >= 0.95)")
            if not args.totals_only:
                for miss in human_misses:
                    print(f"    miss {miss}")
            pairs = reading_requests(authors)
            hits, misses = reading_same_reply(stack, checks, pairs)
            share = hits / len(pairs) if pairs else 0.0
            print(f"reading requests with a fitting article in the same reply: "
                  f"{rate(hits, len(pairs))} (target >= 0.95, gate {GATES['reading_same_reply']})")
            if not args.totals_only:
                for miss in misses:
                    print(f"    miss {miss}")
            if share < GATES["reading_same_reply"]:
                failed_gates.append("reading_same_reply")
            done, total, failed = intake_completion(stack, checks)
            print(f"intake completion on messy-but-valid answer sequences: {rate(done, total)} "
                  "(target 1.00)")
            if failed and not args.totals_only:
                print(f"    not completed: {', '.join(failed)}")
        finally:
            stack.close()
    if failed_gates:
        print(f"GATE FAILED: {', '.join(failed_gates)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
