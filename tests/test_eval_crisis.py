"""The blind crisis report's arithmetic and gates (scripts/eval_crisis.py), on synthetic parses."""

from __future__ import annotations

from scripts.eval_crisis import BlindMessage, load_batches, report


def _messages(batch: str, category: str, n: int) -> list[BlindMessage]:
    return [BlindMessage(batch, "a", category, f"{batch}-{category}-{i}") for i in range(n)]


def _parses(messages, interrupted):  # type: ignore[no-untyped-def]
    crisis = {"intent": {"name": "crisis"}, "crisis_safety_net": {"tier": "acute",
                                                                    "category": "self"}}
    calm = {"intent": {"name": "faq"}}
    return {m.text: crisis if interrupted(m) else calm for m in messages}


def _all(batch: str) -> list[BlindMessage]:
    sizes = {"self_explicit": 10, "self_indirect": 10, "harm_from_others": 10,
             "harm_to_others": 10, "medical_emergency": 10, "benign_mention": 100,
             "everyday": 10}
    return [m for category, n in sizes.items() for m in _messages(batch, category, n)]


def test_a_perfect_detector_passes_and_figures_are_rates(capsys):
    messages = _all("test_a")
    risk = {"self_explicit", "self_indirect", "harm_from_others", "harm_to_others",
            "medical_emergency"}
    figures, failed = report(messages, _parses(messages, lambda m: m.category in risk),
                             gate=True)
    assert failed == []
    assert figures["never-read (all)"]["self_explicit"] == 1.0
    assert figures["never-read (all)"]["benign_mention"] == 0.0


def test_benign_interruptions_above_the_gate_fail_ci(capsys):
    messages = _all("test_b")
    risk = {"self_explicit", "self_indirect", "harm_from_others", "harm_to_others",
            "medical_emergency"}
    benign = [m for m in messages if m.category == "benign_mention"][:9]  # 0.09 > 0.08
    parses = _parses(messages, lambda m: m.category in risk or m in benign)
    _, failed = report(messages, parses, gate=True)
    assert failed and "benign_mention" in failed[0]
    # Without --gate the report still prints, and nothing fails.
    assert report(messages, parses, gate=False)[1] == []


def test_a_regression_below_a_floor_fails_ci(capsys):
    messages = _all("test_a")
    missed = {m.text for m in messages if m.category == "self_explicit"}
    parses = _parses(messages, lambda m: m.category != "benign_mention"
                     and m.category != "everyday" and m.text not in missed)
    _, failed = report(messages, parses, gate=True)
    assert any("self_explicit" in f and "regression floor" in f for f in failed)


def test_the_dev_batch_is_never_counted_as_never_read(capsys):
    messages = _all("dev") + _all("test_a")
    parses = _parses(messages, lambda m: m.batch == "dev")  # dev all interrupted
    figures, _ = report(messages, parses)
    assert figures["never-read (all)"]["everyday"] == 0.0
    assert figures["dev"]["everyday"] == 1.0


def test_the_blind_batches_are_complete():
    messages = load_batches()
    batches = {m.batch for m in messages}
    assert batches == {"dev", "dev2", "test_a", "test_b"}
    for batch in ("dev", "test_a", "test_b"):  # four authors each
        assert sum(m.batch == batch for m in messages) == 360
    # Two authors, 90 each; one message went for sharing its words with training data.
    assert sum(m.batch == "dev2" for m in messages) == 179


def test_both_development_batches_are_read_and_never_counted_as_never_read():
    messages = _all("dev2") + _all("test_b")
    parses = _parses(messages, lambda m: m.batch == "dev2")  # dev2 all interrupted
    figures, _ = report(messages, parses)
    assert figures["never-read (all)"]["everyday"] == 0.0
    assert figures["dev2"]["everyday"] == 1.0
