"""Benchmarks the running assistant on this machine and prints the figures.

Starts a fresh action server and Rasa server (latest model, private data directory),
then measures:
  * cold start: Rasa process start to the first REST reply (action server already up);
  * latency p50/p95/p99 per message over REST at a fixed arrival rate (open loop: a
    request is sent every 1/rate seconds whether or not earlier ones have answered),
    each message from a new sender, over a mix of real messages;
  * peak throughput: completed messages per second with N concurrent clients;
  * resident memory (RSS, with child processes) of the Rasa and action servers;
  * latency p50/p99 of the article-recommending action, called on the action server.

Usage: python scripts/bench.py [--rate 20] [--seconds 20] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stack import Stack, latest_model  # noqa: E402

MESSAGES = [
    "hello",
    "what is secure attachment?",
    "why do I pull away when someone gets close",
    "how does therapy help with attachment",
    "tell me more",
    "anything I can read about setting boundaries?",
    "how much does a session cost",
    "are you a real person",
    "what's the weather tomorrow",
    "thanks, bye",
]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            with open(f"/proc/{current}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            with open(f"/proc/{current}/task/{current}/children") as handle:
                pids += [int(p) for p in handle.read().split()]
        except FileNotFoundError:
            continue
    return total / 1024


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


async def post(session: aiohttp.ClientSession, url: str, text: str, sender: str) -> float:
    """Posts one message over REST; returns the latency in ms."""
    started = time.perf_counter()
    async with session.post(url, json={"sender": sender, "message": text}) as response:
        await response.read()
        response.raise_for_status()
    return (time.perf_counter() - started) * 1000


async def fixed_rate(url: str, rate: float, seconds: float) -> tuple[list[float], int]:
    """Open-loop load: one request every 1/rate s; latencies and error count."""
    latencies: list[float] = []
    errors = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        tasks = []
        start = time.perf_counter()
        count = int(rate * seconds)
        for i in range(count):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            text = MESSAGES[i % len(MESSAGES)]
            tasks.append(asyncio.create_task(post(session, url, text, f"bench-{uuid.uuid4()}")))
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, Exception):
                errors += 1
            else:
                latencies.append(result)
    return latencies, errors


async def peak_throughput(url: str, concurrency: int, seconds: float) -> tuple[float, int]:
    """Closed-loop load with N clients; messages per second and errors."""
    done = 0
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(worker: int, session: aiohttp.ClientSession) -> None:
        nonlocal done, errors
        i = 0
        while time.perf_counter() < deadline:
            try:
                await post(session, url, MESSAGES[(worker + i) % len(MESSAGES)],
                           f"peak-{worker}-{uuid.uuid4()}")
                done += 1
            except Exception:  # noqa: BLE001 - count and go on
                errors += 1
            i += 1

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(w, session) for w in range(concurrency)))
        elapsed = time.perf_counter() - started
    return done / elapsed, errors


async def action_latency(action_url: str, runs: int, secret: str) -> list[float]:
    """Latency of action_recommend_articles on the action server, in ms.

    ``secret`` is the action server's shared secret, which Rasa sends in a header.
    """
    from secure_base.access import ACTION_SECRET_HEADER

    latencies = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30),
                                     headers={ACTION_SECRET_HEADER: secret}) as session:
        for i in range(runs):
            topic = ["secure_attachment", "boundaries_without_guilt", "co_regulation"][i % 3]
            payload = {
                "next_action": "action_recommend_articles",
                "sender_id": f"bench-action-{i}",
                "tracker": {
                    "sender_id": f"bench-action-{i}",
                    "slots": {"topic": topic, "shown_articles": None},
                    "latest_message": {"text": f"something to read about {topic}",
                                       "intent": {"name": "request_articles"},
                                       "entities": []},
                    "events": [], "paused": False, "followup_action": None,
                    "active_loop": {}, "latest_action_name": "action_listen",
                },
                "domain": {"responses": {}}, "version": "3.6.2",
            }
            started = time.perf_counter()
            async with session.post(action_url, json=payload) as response:
                await response.read()
                response.raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def main() -> int:
    """Runs the benchmark and prints the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--rate", type=float, default=5.0, help="messages per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    model = latest_model()
    if model is None:
        sys.exit("bench: no trained model (run `make train`)")

    with tempfile.TemporaryDirectory(prefix="secure-base-bench-") as tmp:
        stack = Stack(Path(tmp), model, with_actions=True)
        stack.data_dir.mkdir(parents=True, exist_ok=True)
        stack.start_actions()
        stack.with_actions = False  # already running; start() only starts Rasa now
        started = time.perf_counter()
        stack.start()
        url = f"{stack.url}/webhooks/rest/webhook"
        while True:
            try:
                if stack.send("hello", "bench-cold"):
                    break
            except Exception:  # noqa: BLE001 - not ready yet
                time.sleep(0.05)
        cold_start = time.perf_counter() - started
        try:
            # Warm up each code path once, then measure.
            for text in MESSAGES:
                stack.send(text, f"warm-{uuid.uuid4()}")
            latencies, errors = asyncio.run(fixed_rate(url, args.rate, args.seconds))
            peak, peak_errors = asyncio.run(peak_throughput(url, args.concurrency, 15))
            action_ms = asyncio.run(action_latency(
                f"http://127.0.0.1:{stack.action_port}/webhook", 100,
                stack.env["SECURE_BASE_ACTION_SECRET"]))
            rasa_mb = rss_mb(stack.procs["rasa"].pid)
            actions_mb = rss_mb(stack.procs["actions"].pid)
        finally:
            stack.close()

    print(f"model: {model.name}")
    print(f"cold start (Rasa process start to first reply): {cold_start:.1f} s")
    print(f"latency over REST at {args.rate:g} msg/s for {args.seconds:g} s, unique senders "
          f"({len(latencies)} ok, {errors} errors):")
    print(f"  p50 {percentile(latencies, 50):.1f} ms   p95 {percentile(latencies, 95):.1f} ms"
          f"   p99 {percentile(latencies, 99):.1f} ms   mean {statistics.fmean(latencies):.1f} ms")
    print(f"peak throughput with {args.concurrency} concurrent clients: {peak:.1f} msg/s "
          f"({peak_errors} errors)")
    print(f"resident memory: Rasa server {rasa_mb:.0f} MB, action server {actions_mb:.0f} MB")
    print(f"action_recommend_articles latency (100 calls): p50 {percentile(action_ms, 50):.1f} ms"
          f"   p99 {percentile(action_ms, 99):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
