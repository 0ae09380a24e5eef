"""Short answers (a first name, an age) through the trained model: never a crisis.

The intake form asks for a name and an age; a name the classifier happened to rank as
``crisis`` interrupted the form with crisis resources (found in CI with "Kim"). None of
these names or ages is in the training data.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import need
from tests.stack import latest_model

UNSEEN_NAMES = ["Kira", "Kimberly", "Kai", "Ali", "Sean", "Chloe", "Ben", "Nadia", "Yusuf",
                "Ines", "Pat", "Ella", "Ravi", "Lena", "Marco", "Ivy", "Ahmed", "Ruth",
                "Hugo", "Amara", "Kat", "Kev", "Kel", "Bo", "Jess", "Lou", "Max", "Nia"]
UNSEEN_AGES = ["14", "17", "18", "21", "33", "39", "50", "64", "I'm 34", "i am 22", "thirty"]


CRISIS = ["I want to kill myself", "i don't want to be here anymore"]


@pytest.fixture(scope="module")
def parses() -> dict[str, dict]:
    from rasa.core.agent import Agent

    model = latest_model()
    need(model is not None, "no trained model in models/ (run `make train`)")
    agent = Agent.load(str(model))

    async def parse_all() -> dict[str, dict]:
        texts = UNSEEN_NAMES + UNSEEN_AGES + CRISIS
        return {text: await agent.parse_message(text) for text in texts}

    return asyncio.run(parse_all())


def test_names_and_ages_are_not_crisis_messages(parses) -> None:
    fired = [text for text in UNSEEN_NAMES + UNSEEN_AGES
             if parses[text]["intent"]["name"] == "crisis"]
    assert fired == []


def test_real_crisis_messages_still_fire_beside_them(parses) -> None:
    assert all(parses[text]["intent"]["name"] == "crisis" for text in CRISIS)
