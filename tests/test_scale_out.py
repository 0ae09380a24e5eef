"""Scale-out end to end: two real Rasa servers with endpoints.scale.yml share one action
server, PostgreSQL trackers (Rasa's SQL tracker store) and Redis conversation locks.

Needs a trained model, SECURE_BASE_TEST_POSTGRES_URL and SECURE_BASE_TEST_REDIS_URL
(`.ci/run` sets both; the Redis host and port come from the URL, the lock database and
key prefix from endpoints.scale.yml). The last two tests check the lock store alone,
with several store objects standing for several servers; they need only Redis.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import yaml
from sqlalchemy import text

from secure_base.db import make_engine
from secure_base.lock_store import RedisLockStore
from secure_base.settings import PROJECT_ROOT
from tests.conftest import POSTGRES_URL, redis_endpoint_env
from tests.stack import reply_text as texts

pytestmark = [pytest.mark.redis]
E2E = [pytest.mark.server, pytest.mark.model, pytest.mark.postgres]


def e2e(test):  # type: ignore[no-untyped-def]
    """Marks a test that starts the real servers."""
    for mark in E2E:
        test = mark(test)
    return test


SCALE = "endpoints.scale.yml"
RUN = uuid.uuid4().hex[:12]  # every sender of this run starts with f"scale-{RUN}-"


def _lock_config() -> dict:
    config = yaml.safe_load((PROJECT_ROOT / SCALE).read_text())["lock_store"]
    assert config["type"] == "secure_base.lock_store.RedisLockStore"
    return config


def _plain_responses() -> dict[str, list[str]]:
    """The response texts of data/responses/*.yml (the files without profile templates)."""
    found: dict[str, list[str]] = {}
    for path in sorted((PROJECT_ROOT / "data" / "responses").glob("*.yml")):
        for name, variations in (yaml.safe_load(path.read_text()).get("responses") or {}).items():
            found[name] = [v["text"].strip() for v in variations if "text" in v]
    return found


RESPONSES = _plain_responses()


def _faq_questions() -> list[tuple[str, str]]:
    """(question, topic key) pairs from the FAQ conversation tests, for plain-file topics."""
    stories = yaml.safe_load(
        (PROJECT_ROOT / "tests" / "conversations" / "faq.yml").read_text())["stories"]
    pairs = []
    for story in stories:
        first = story["steps"][0]
        key = first.get("intent", "").removeprefix("faq/")
        if f"utter_faq/{key}" in RESPONSES and f"utter_more_{key}" in RESPONSES:
            pairs.append((first["user"].strip(), key))
    return pairs


QUESTIONS = _faq_questions()


def says(replies: list[dict], response: str) -> bool:
    """Whether the bot's replies contain one of the variations of ``response``."""
    body = texts(replies)
    return any(variation in body for variation in RESPONSES[response])


def tracker(stack, sender: str) -> dict:
    return stack.tracker(sender)


def user_texts(events: list[dict]) -> list[str]:
    return [e.get("text") for e in events if e["event"] == "user"]


def turns(events: list[dict]) -> list[list[dict]]:
    """The events split at each user message (each turn starts with its user event)."""
    found: list[list[dict]] = []
    for event in events:
        if event["event"] == "user":
            found.append([])
        if found:
            found[-1].append(event)
    return found


def outline(events: list[dict]) -> list[str]:
    """A readable summary of ``events`` for assertion messages."""
    return [f"{e['event']} {e.get('name') or e.get('text') or ''}".strip()[:60] for e in events]


def assert_complete_turns(events: list[dict]) -> None:
    """Each user message was handled once, fully, before the next one started."""
    for turn in turns(events):
        actions = [e["name"] for e in turn if e["event"] == "action"]
        where = f"turn for {turn[0].get('text')!r}: {actions}; events: {outline(events)}"
        assert any(e["event"] == "bot" for e in turn), f"no bot reply in the {where}"
        assert actions and actions[-1] == "action_listen", f"unfinished {where}"
        assert actions.count("action_listen") == 1, f"interleaved {where}"


@pytest.fixture(scope="module")
def redis_env() -> dict[str, str]:
    return redis_endpoint_env()


@pytest.fixture(scope="module")
def lock_redis(redis_env):  # type: ignore[no-untyped-def]
    """A client on the Redis database the servers keep their locks in."""
    client = redis.Redis(host=redis_env["SECURE_BASE_REDIS_HOST"],
                         port=int(redis_env["SECURE_BASE_REDIS_PORT"]),
                         db=int(_lock_config().get("db", 1)), socket_timeout=10)
    assert client.ping()
    yield client
    client.close()


def new_lock_store(redis_env: dict[str, str]) -> RedisLockStore:
    """A lock store as endpoints.scale.yml configures it (another server, or the test)."""
    config = _lock_config()
    return RedisLockStore(host=redis_env["SECURE_BASE_REDIS_HOST"],
                          port=int(redis_env["SECURE_BASE_REDIS_PORT"]),
                          db=int(config.get("db", 1)), key_prefix=config.get("key_prefix"))


@pytest.fixture(scope="module")
def lock_store(redis_env) -> RedisLockStore:  # type: ignore[no-untyped-def]
    """A third party taking tickets on the same Redis locks as the servers."""
    return new_lock_store(redis_env)


@pytest.fixture(scope="module")
def servers(scale_servers):  # type: ignore[no-untyped-def]
    """Server A (with the action server) and server B (using A's action server): the
    session's scale-out pair (tests/conftest.py). This run's conversations are deleted
    from the shared trackers afterwards."""
    try:
        yield scale_servers
    finally:
        engine = make_engine(POSTGRES_URL)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM events WHERE sender_id LIKE :run"),
                         {"run": f"scale-{RUN}-%"})
        engine.dispose()


@pytest.fixture
def sender(request: pytest.FixtureRequest) -> str:
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)  # it goes into URLs
    return f"scale-{RUN}-{name}-{uuid.uuid4().hex[:8]}"


def lock_key(sender: str) -> str:
    prefix = _lock_config().get("key_prefix")
    return f"{prefix}:lock:{sender}" if prefix else f"lock:{sender}"


@e2e
def test_a_conversation_moves_between_servers(servers, sender: str) -> None:
    a, b = servers
    question, key = QUESTIONS[1]
    assert a.send("hello", sender)
    assert says(b.send(question, sender), f"utter_faq/{key}")
    # A knows the topic only from the events B stored in PostgreSQL.
    assert says(a.send("tell me more", sender), f"utter_more_{key}")


@e2e
def test_both_servers_return_the_same_tracker(servers, sender: str) -> None:
    a, b = servers
    (first_question, _), (second_question, _) = QUESTIONS[2], QUESTIONS[3]
    b.send("hi", sender)
    a.send(first_question, sender)
    b.send(second_question, sender)
    seen_by_a, seen_by_b = tracker(a, sender), tracker(b, sender)
    assert user_texts(seen_by_a["events"]) == ["hi", first_question, second_question]
    assert seen_by_a["events"] == seen_by_b["events"]
    assert seen_by_a["slots"] == seen_by_b["slots"]
    assert_complete_turns(seen_by_a["events"])


@e2e
@pytest.mark.parametrize("server", [0, 1], ids=["server_a", "server_b"])
def test_each_server_waits_for_the_conversation_lock_in_redis(
    servers, sender: str, server: int, lock_store: RedisLockStore, lock_redis
) -> None:
    stack = servers[server]
    question, key = QUESTIONS[4]
    assert stack.send("hello", sender)
    # A third party holds the conversation's lock in Redis ...
    held = lock_store.issue_ticket(sender, lock_lifetime=600)
    with ThreadPoolExecutor(1) as pool:
        reply = pool.submit(stack.send, question, sender)
        try:
            # ... the server queues behind it in the same Redis key ...
            deadline = time.monotonic() + 120
            while len(getattr(lock_store.get_lock(sender), "tickets", ())) < 2:
                assert not reply.done(), f"answered without waiting: {reply.result()}"
                assert time.monotonic() < deadline, "the server never took a ticket in Redis"
                time.sleep(0.1)
            assert lock_redis.exists(lock_key(sender))  # the configured database and key
            # ... and has not touched the conversation while the lock is held.
            assert user_texts(tracker(servers[1 - server], sender)["events"]) == ["hello"]
        finally:
            lock_store.finish_serving(sender, held)  # the server's turn now
        assert says(reply.result(), f"utter_faq/{key}")
    assert user_texts(tracker(stack, sender)["events"]) == ["hello", question]
    assert not lock_redis.exists(lock_key(sender)), "the lock was left behind in Redis"


@e2e
def test_concurrent_messages_to_both_servers_are_handled_one_at_a_time(
    servers, sender: str, lock_redis
) -> None:
    a, b = servers
    a.send("hello", sender)
    messages = QUESTIONS[:6]
    start = threading.Barrier(len(messages))

    def send(index: int) -> list[dict]:
        start.wait(timeout=60)
        return servers[index % 2].send(messages[index][0], sender)

    with ThreadPoolExecutor(len(messages)) as pool:
        replies = list(pool.map(send, range(len(messages))))

    for (question, key), reply in zip(messages, replies, strict=True):
        assert says(reply, f"utter_faq/{key}"), f"wrong answer to {question!r}: {reply}"
    events = tracker(b, sender)["events"]
    counts = Counter(user_texts(events))
    assert counts == Counter(["hello"] + [question for question, _ in messages]), counts
    assert_complete_turns(events)
    assert tracker(a, sender)["events"] == events
    assert not lock_redis.exists(lock_key(sender)), "a lock was left behind in Redis"


# ------------------------------------------------- the lock store alone (several "servers")


def test_tickets_drawn_at_once_from_several_stores_are_all_different(redis_env) -> None:
    stores = [new_lock_store(redis_env) for _ in range(4)]
    conversation = f"scale-{RUN}-tickets-{uuid.uuid4().hex[:8]}"
    start = threading.Barrier(8)

    def draw(index: int) -> list[int]:
        start.wait(timeout=60)
        return [stores[index % 4].issue_ticket(conversation, 60) for _ in range(25)]

    try:
        with ThreadPoolExecutor(8) as pool:
            numbers = [n for drawn in pool.map(draw, range(8)) for n in drawn]
        assert sorted(numbers) == list(range(200))  # Rasa's own store repeats numbers
        assert len(stores[0].get_lock(conversation).tickets) == 200
    finally:
        stores[0].delete_lock(conversation)


def test_the_lock_admits_one_holder_at_a_time_across_stores(redis_env, lock_redis) -> None:
    conversation = f"scale-{RUN}-mutex-{uuid.uuid4().hex[:8]}"
    guard = threading.Lock()
    seen = {"inside": 0, "overlaps": 0, "done": 0}
    start = threading.Barrier(4)

    async def take_turns(store: RedisLockStore) -> None:
        for _ in range(15):
            async with store.lock(conversation, lock_lifetime=60, wait_time_in_seconds=0.01):
                with guard:
                    seen["inside"] += 1
                    seen["overlaps"] += seen["inside"] > 1
                await asyncio.sleep(0.005)
                with guard:
                    seen["inside"] -= 1
                    seen["done"] += 1

    def worker(_: int) -> None:
        store = new_lock_store(redis_env)  # one store (one "server") per thread
        start.wait(timeout=60)
        asyncio.run(take_turns(store))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(worker, range(4)))  # re-raises a LockError from any worker
    assert seen == {"inside": 0, "overlaps": 0, "done": 60}
    assert not lock_redis.exists(lock_key(conversation)), "the lock was left behind"
