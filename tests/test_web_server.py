"""The website server, started for real on a free port and queried over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest
import yaml

from secure_base.catalog.articles import article_files, validate_directory
from secure_base.catalog.frontmatter import is_valid_slug
from secure_base.catalog.loader import import_directory, list_articles
from secure_base.catalog.models import SLUG_MAX
from secure_base.db import session_scope
from secure_base.profile import load_profile
from secure_base.settings import PROJECT_ROOT
from secure_base.web.articles import render_markdown
from secure_base.web.server import (
    WebConfig,
    WebConfigError,
    load_web_config,
    parse_rasa_url,
    start,
)
from tests.stack import free_port
from tests.test_catalog import article_text

RASA_URL = "http://rasa.test:5005"
PRACTICE_NAME = "Willow & Rowan <Therapy>"
SECRET = "profile-secret-8d1f"  # only in the profile's free text: must never leak raw

ARTICLE_ONE = """---
slug: steady-ground
title: "Finding <Steady> Ground"
summary: "A calm read about feeling safe & seen."
topics: [secure_base, co_regulation]
published: 2024-03-05
reading_minutes: 4
---
# Steady ground

Being met with **care** matters.

<script>alert('x')</script>

A [bad link](javascript:alert(1)) and a [good link](https://example.org/read).
"""

ARTICLE_TWO = """---
slug: second-look
title: Second Look
summary: Another short piece.
topics: [what_is_attachment]
published: 2024-06-01
reading_minutes: 2
---
Plain text body.
"""

BROKEN_ARTICLE = """---
title: [not closed
---
Body
"""


def _profile_data() -> dict:
    text = (PROJECT_ROOT / "practice.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(text.replace("Harbor", "Willow").replace("harbor", "willow"))
    data["practice"]["name"] = PRACTICE_NAME
    data["practice"]["short_name"] = "Willow"
    data["practice"]["tagline"] = 'Gentle "therapy" for adults'
    data["contact"]["hours"] = "Tuesdays 10am-4pm"
    data["contact"]["email"] = "care@willow.example"
    data["first_session"]["description"] = f"<b>Welcome</b> {SECRET}"
    return data


@pytest.fixture
def site_files(tmp_path: Path) -> tuple[Path, Path]:
    """A temporary profile and articles folder (plus a file that must stay private)."""
    profile = tmp_path / "practice.yml"
    profile.write_text(yaml.safe_dump(_profile_data(), allow_unicode=True), encoding="utf-8")
    articles = tmp_path / "content" / "articles"
    articles.mkdir(parents=True)
    (articles / "steady-ground.md").write_text(ARTICLE_ONE, encoding="utf-8")
    (articles / "second-look.md").write_text(ARTICLE_TWO, encoding="utf-8")
    (articles / "broken-one.md").write_text(BROKEN_ARTICLE, encoding="utf-8")
    (articles / "Not_A_Slug.md").write_text(ARTICLE_TWO, encoding="utf-8")
    (tmp_path / "content" / "private.md").write_text(ARTICLE_TWO.replace("Second", SECRET))
    (articles / "linked-out.md").symlink_to(tmp_path / "content" / "private.md")
    return profile, articles


@pytest.fixture
async def site(site_files: tuple[Path, Path], tmp_path: Path) -> AsyncIterator[str]:
    """The real server on a free port (in this process); yields its base URL."""
    profile, articles = site_files
    bundle = tmp_path / "socket.io.min.js"
    bundle.write_text("/* socket.io test bundle */\n", encoding="utf-8")
    config = WebConfig(
        port=0,
        rasa_url=RASA_URL,
        profile_path=profile,
        articles_dir=articles,
        socketio_bundle=bundle,
        session_secret=SESSION_SECRET,
        session_ttl=600,
    )
    runner, port = await start(config)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


SESSION_SECRET = "web-test-session-secret-0123456789abcdef"


async def _post(url: str, **kwargs) -> tuple[int, dict, str]:  # type: ignore[no-untyped-def]
    async with aiohttp.ClientSession() as session:
        async with session.post(url, **kwargs) as response:
            return response.status, dict(response.headers), await response.text()


async def test_chat_session_tokens_are_issued_renewed_and_never_show_the_conversation(
    site: str,
) -> None:
    from secure_base import session_token

    status, headers, body = await _post(site + "/chat/session")
    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    first = json.loads(body)
    assert first["continued"] is False and first["ttl"] == 600
    conversation = session_token.verify(SESSION_SECRET, first["token"]).conversation_id
    assert conversation not in body and conversation.removeprefix("web-") not in body
    # Renewal: same conversation, never an id in the answer.
    status, _, body = await _post(site + "/chat/session", json={"token": first["token"]})
    renewed = json.loads(body)
    assert status == 200 and renewed["continued"] is True
    assert session_token.verify(SESSION_SECRET, renewed["token"]).conversation_id == conversation
    # A forged or foreign token gets a new conversation, not the one it names.
    version, nonce, expires, _ = first["token"].split(".")
    for given in (f"{version}.{nonce}.{expires}.{'A' * 43}",
                  session_token.issue("another-secret-0123456789abcdef", 60).token):
        status, _, body = await _post(site + "/chat/session", json={"token": given})
        fresh = json.loads(body)
        assert status == 200 and fresh["continued"] is False
        assert session_token.verify(SESSION_SECRET, fresh["token"]).conversation_id != conversation
    # Another site's page cannot get a token for its visitors; bad bodies are 400s.
    status, _, _ = await _post(site + "/chat/session", headers={"Origin": "https://evil.example"})
    assert status == 403
    status, _, _ = await _post(site + "/chat/session", data=b"[]",
                               headers={"Content-Type": "application/json"})
    assert status == 400
    status, _, _ = await _get(site + "/chat/session")
    assert status == 405


async def _get(url: str, **kwargs) -> tuple[int, dict, str]:  # type: ignore[no-untyped-def]
    async with aiohttp.ClientSession() as session:
        async with session.get(url, allow_redirects=False, **kwargs) as response:
            return response.status, dict(response.headers), await response.text()


async def _raw_get(base: str, raw_path: str) -> tuple[int, str]:
    """Sends a request line exactly as given (no client-side path normalisation)."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"GET {raw_path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("latin-1")
    )
    await writer.drain()
    data = await reader.read()
    writer.close()
    head, _, body = data.decode("utf-8", "replace").partition("\r\n\r\n")
    return int(head.split()[1]), body


async def test_index_renders_the_profile_escaped(site: str) -> None:
    status, headers, body = await _get(site + "/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert "Willow &amp; Rowan &lt;Therapy&gt;" in body
    assert PRACTICE_NAME not in body
    assert "Gentle &quot;therapy&quot; for adults" in body
    assert "Tuesdays 10am-4pm" in body
    assert 'href="mailto:care@willow.example"' in body
    assert f"&lt;b&gt;Welcome&lt;/b&gt; {SECRET}" in body
    assert "<b>Welcome</b>" not in body
    # The widget: configured for the Rasa server, with the required note and live region.
    assert f'data-rasa-url="{RASA_URL}"' in body
    assert 'data-socket-path="/socket.io"' in body
    assert "Automated assistant — not a therapist." in body
    assert "In a crisis call your local emergency number" in body
    assert 'aria-live="polite"' in body
    assert '<script src="/vendor/socket.io.min.js" defer></script>' in body
    # Nothing practice-specific from the real practice.yml leaks into the page.
    assert "Harbor" not in body


async def test_profile_edits_show_without_restart(site: str, site_files) -> None:  # type: ignore[no-untyped-def]
    profile, _ = site_files
    data = _profile_data()
    data["practice"]["name"] = "Renamed Practice"
    profile.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    stat = profile.stat()
    os.utime(profile, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    status, _, body = await _get(site + "/")
    assert status == 200
    assert "Renamed Practice" in body


async def test_security_headers_on_every_kind_of_response(site: str) -> None:
    for path in (
        "/",
        "/articles/",
        "/articles/steady-ground",
        "/static/site.css",
        "/static/chat.js",
        "/vendor/socket.io.min.js",
        "/healthz",
        "/nope",
    ):
        _, headers, _ = await _get(site + path)
        csp = headers.get("Content-Security-Policy", "")
        assert "default-src 'none'" in csp, path
        assert "script-src 'self'" in csp, path
        assert f"connect-src 'self' {RASA_URL} ws://rasa.test:5005" in csp, path
        assert "frame-ancestors 'none'" in csp, path
        assert headers.get("X-Content-Type-Options") == "nosniff", path
        assert headers.get("Referrer-Policy") == "no-referrer", path
        assert headers.get("X-Frame-Options") == "DENY", path


async def test_static_assets_and_client_bundle(site: str) -> None:
    status, headers, body = await _get(site + "/static/chat.js")
    assert status == 200
    assert "javascript" in headers["Content-Type"]
    assert "bot_uttered" in body
    status, headers, _ = await _get(site + "/static/site.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    status, headers, body = await _get(site + "/vendor/socket.io.min.js")
    assert status == 200
    assert headers["Content-Type"].startswith("text/javascript")
    assert "socket.io test bundle" in body
    status, _, body = await _get(site + "/healthz")
    assert status == 200 and '"ok"' in body


async def test_missing_client_bundle_says_how_to_install(site_files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    profile, articles = site_files
    config = WebConfig(
        port=0,
        rasa_url=RASA_URL,
        profile_path=profile,
        articles_dir=articles,
        socketio_bundle=tmp_path / "missing.js",
    )
    runner, port = await start(config)
    try:
        status, _, body = await _get(f"http://127.0.0.1:{port}/vendor/socket.io.min.js")
    finally:
        await runner.cleanup()
    assert status == 503
    assert "scripts/install_web.sh" in body


async def test_article_renders_markdown_safely(site: str) -> None:
    status, headers, body = await _get(site + "/articles/steady-ground")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    title = "Finding &lt;Steady&gt; Ground · Willow &amp; Rowan &lt;Therapy&gt;"
    assert f"<title>{title}</title>" in body
    assert '<h1 id="article-title">Finding &lt;Steady&gt; Ground</h1>' in body
    assert "A calm read about feeling safe &amp; seen." in body
    assert "<strong>care</strong>" in body
    assert "Published 5 March 2024 · 4 min read" in body
    assert "<li>Secure base</li>" in body and "<li>Co regulation</li>" in body
    # Raw HTML in the Markdown is shown as text; unsafe link targets are dropped.
    assert "<script>alert" not in body
    assert "&lt;script&gt;" in body
    assert "javascript:" not in body
    assert '<a href="https://example.org/read" rel="noopener noreferrer">good link</a>' in body


async def test_articles_index_lists_valid_articles_newest_first(site: str) -> None:
    status, _, body = await _get(site + "/articles/")
    assert status == 200
    assert body.index("Second Look") < body.index("Finding &lt;Steady&gt; Ground")
    assert 'href="/articles/steady-ground"' in body
    assert "broken-one" not in body and "Not_A_Slug" not in body
    assert SECRET not in body  # the symlinked file outside the folder is not listed
    status, headers, _ = await _get(site + "/articles")
    assert status == 301 and headers["Location"] == "/articles/"


async def test_unknown_and_invalid_slugs_are_404(site: str) -> None:
    for path in (
        "/articles/no-such-article",
        "/articles/Not_A_Slug",
        "/articles/steady-ground.md",
        "/articles/steady-ground/",
        "/articles/STEADY-GROUND",
        "/articles/-x-",
        "/articles/" + "a" * 101,
        "/articles/" + "a" * (SLUG_MAX + 1),
        "/articles/linked-out",
        "/no/such/page",
    ):
        status, headers, body = await _get(site + path)
        assert status == 404, path
        assert headers["Content-Type"].startswith("text/html"), path
        assert "Page not found" in body, path
        assert SECRET not in body, path


async def test_broken_article_is_a_server_error_page(site: str) -> None:
    status, _, body = await _get(site + "/articles/broken-one")
    assert status == 500
    assert "Something went wrong" in body


@pytest.mark.parametrize(
    "raw_path",
    [
        "/articles/../practice.yml",
        "/articles/../../practice.yml",
        "/articles/..%2Fpractice.yml",
        "/articles/..%2F..%2Fpractice.yml",
        "/articles/%2e%2e%2fprivate",
        "/articles/%2E%2E/private.md",
        "/articles/..%5Cprivate",
        "/articles/private%00",
        "/articles/%252e%252e%252fprivate",
        "/static/../practice.yml",
        "/static/..%2F..%2Fpractice.yml",
        "/static/%2e%2e/%2e%2e/practice.yml",
        "/static/%2e%2e%2f%2e%2e%2fpractice.yml",
        "/static/",
        "/vendor/..%2F..%2Fpractice.yml",
    ],
)
async def test_traversal_attempts_are_404(site: str, raw_path: str) -> None:
    status, body = await _raw_get(site, raw_path)
    assert status == 404, raw_path
    assert SECRET not in body
    assert "licensed_regions" not in body


def test_widget_script_never_parses_html() -> None:
    source = (PROJECT_ROOT / "website" / "static" / "chat.js").read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    code = re.sub(r"(?m)^\s*//.*$", "", code)
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        'setAttribute("on',
        "srcdoc",
    ):
        assert sink not in code, sink
    assert "textContent" in code


def test_slug_pattern() -> None:
    assert is_valid_slug("how-long-does-therapy-take")
    assert is_valid_slug("a1")
    assert is_valid_slug("a" * SLUG_MAX)
    for bad in (
        *("", "-a", "a-", "a--b", "A", "a_b", "a.b", "a/b", "..", "a b", "é", "a\n"),
        "a" * (SLUG_MAX + 1),
    ):
        assert not is_valid_slug(bad), bad


@asynccontextmanager
async def serving(profile: Path, articles: Path) -> AsyncIterator[str]:
    """The real server for ``articles`` on a free port (in this process); yields its URL."""
    config = WebConfig(port=0, rasa_url=RASA_URL, profile_path=profile, articles_dir=articles)
    runner, port = await start(config)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_every_article_the_catalog_imports_is_served(engine, site_files) -> None:  # type: ignore[no-untyped-def]
    # The assistant links to what the catalog imported: each link must open a page.
    profile, _ = site_files
    articles = PROJECT_ROOT / "articles"
    with session_scope(engine) as session:
        import_directory(session, articles)
        imported = list_articles(session)
    assert len(imported) == len(article_files(articles)) > 0
    bot_base_url = str(load_profile(PROJECT_ROOT / "practice.yml").articles.base_url)
    async with serving(profile, articles) as site:
        for article in imported:
            path = f"/articles/{article.slug}"
            if article.url is None:
                assert urlsplit(article.link_url(bot_base_url)).path == path
            status, _, body = await _get(site + path)
            assert status == 200, article.slug
            assert f'<h1 id="article-title">{escape(article.title)}</h1>' in body
        status, _, index = await _get(site + "/articles/")
    assert status == 200
    for article in imported:
        assert f'href="/articles/{article.slug}"' in index


SOURCED_ARTICLE = """---
slug: sourced
title: Sourced
summary: An article with sources.
topics: [adult_relationship_patterns]
published: 2024-05-02
reading_minutes: 3
further_reading:
  - title: "Romantic love <conceptualized> as an attachment process"
    authors: "Hazan, C., & Shaver, P."
    year: 1987
    source: Journal of Personality and Social Psychology
    url: "https://doi.org/10.1037/0022-3514.52.3.511?a=1&b=<2>"
  - title: "Attachment in psychotherapy"
    authors: "Wallin, D. J."
    year: 2007
related: [second-look, gone-away, broken-one]
---
Body.
"""


async def test_article_shows_further_reading_and_related_links(site_files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    profile, _ = site_files
    folder = tmp_path / "sourced"
    folder.mkdir()
    (folder / "sourced.md").write_text(SOURCED_ARTICLE, encoding="utf-8")
    (folder / "second-look.md").write_text(ARTICLE_TWO, encoding="utf-8")
    (folder / "broken-one.md").write_text(BROKEN_ARTICLE, encoding="utf-8")
    async with serving(profile, folder) as site:
        status, _, body = await _get(site + "/articles/sourced")
        _, _, plain = await _get(site + "/articles/second-look")
    assert status == 200
    assert '<h2 id="reading-title">Further reading</h2>' in body
    # Citation text and the URL are escaped; the external link opens without an opener.
    link = escape("https://doi.org/10.1037/0022-3514.52.3.511?a=1&b=<2>", quote=True)
    assert (
        "Hazan, C., &amp; Shaver, P. (1987). "
        f'<cite><a href="{link}" rel="noopener noreferrer">'
        "Romantic love &lt;conceptualized&gt; as an attachment process</a></cite>. "
        "Journal of Personality and Social Psychology.</li>"
    ) in body
    assert "Wallin, D. J. (2007). <cite>Attachment in psychotherapy</cite>.</li>" in body
    # Related links: the existing article by its title; a missing or broken one is left out.
    assert '<h2 id="related-title">Related articles</h2>' in body
    assert '<li><a href="/articles/second-look">Second Look</a></li>' in body
    assert "gone-away" not in body and 'href="/articles/broken-one"' not in body
    # An article without either shows neither heading.
    assert "Further reading" not in plain and "Related articles" not in plain


async def test_an_article_the_catalog_rejects_is_not_served(site_files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # The two rules the website once applied differently: slugs up to SLUG_MAX
    # characters are articles; reading_minutes is required.
    profile, _ = site_files
    folder = tmp_path / "edge-cases"
    folder.mkdir()
    long_slug = "-".join(["calm"] * 23)
    assert 100 < len(long_slug) <= SLUG_MAX
    (folder / f"{long_slug}.md").write_text(
        article_text(long_slug, title="A long slug", topics="[secure_base]"), encoding="utf-8"
    )
    no_minutes = ARTICLE_TWO.replace("second-look", "no-reading-time").replace(
        "reading_minutes: 2\n", ""
    )
    (folder / "no-reading-time.md").write_text(no_minutes, encoding="utf-8")
    report = validate_directory(folder)
    assert [a.slug for a in report.articles] == [long_slug]
    assert {p.path.name for p in report.problems} == {"no-reading-time.md"}
    async with serving(profile, folder) as site:
        status, _, body = await _get(f"{site}/articles/{long_slug}")
        assert status == 200 and "A long slug" in body
        status, _, body = await _get(f"{site}/articles/no-reading-time")
        assert status == 500 and "Second Look" not in body
        status, _, index = await _get(site + "/articles/")
    assert status == 200
    assert f'href="/articles/{long_slug}"' in index
    assert "no-reading-time" not in index and "Second Look" not in index


def test_markdown_rendering_keeps_text_and_drops_unsafe_targets() -> None:
    html = render_markdown(
        "<img src=x onerror=alert(1)>\n\n[a](JavaScript:alert(1)) [b](data:text/html,x) "
        "[c](/articles/x) [d](mailto:hi@example.org)\n\n![i](javascript:alert(1))"
    )
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript" not in html.lower() and "data:" not in html
    assert '<a href="/articles/x">c</a>' in html
    assert '<a href="mailto:hi@example.org">d</a>' in html


def test_config_from_environment_and_validation() -> None:
    config = load_web_config(
        {"SECURE_BASE_WEB_PORT": "8181", "SECURE_BASE_RASA_URL": "https://bot.example.org"}
    )
    assert config.port == 8181
    assert config.rasa_url == "https://bot.example.org"
    assert load_web_config({}).rasa_url == "http://localhost:5005"
    assert load_web_config({}).port == 8080
    assert load_web_config({"SECURE_BASE_WEB_PORT": "8181"}, port=9000).port == 9000
    endpoint = parse_rasa_url("https://Bot.Example.org/rasa/")
    assert endpoint.origin == "https://bot.example.org"
    assert endpoint.ws_origin == "wss://bot.example.org"
    assert endpoint.socket_path == "/rasa/socket.io"
    for bad in (
        "ftp://x",
        "localhost:5005",
        "http://",
        "http://a b",
        "http://x/?q=1",
        "http://user:pw@x",
        "http://x:99999",
        "http://x; script-src *",
        "javascript:x",
    ):
        with pytest.raises(WebConfigError):
            parse_rasa_url(bad)
    with pytest.raises(WebConfigError):
        load_web_config({"SECURE_BASE_WEB_PORT": "eighty"})


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_command_line_serves_and_stops_gracefully(site_files, stop_signal: int) -> None:  # type: ignore[no-untyped-def]
    profile, articles = site_files
    port = free_port()
    env = {**os.environ, "SECURE_BASE_PROFILE": str(profile), "SECURE_BASE_RASA_URL": RASA_URL}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "secure_base.web",
            "--port",
            str(port),
            "--articles-dir",
            str(articles),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        body = ""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                body = asyncio.run(_get(f"http://127.0.0.1:{port}/"))[2]
                break
            except aiohttp.ClientError:
                time.sleep(0.2)
        assert "Willow &amp; Rowan" in body
        assert f'data-rasa-url="{RASA_URL}"' in body
        proc.send_signal(stop_signal)
        output, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, output
    assert "Website stopped" in output


def test_command_line_rejects_a_bad_rasa_url() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "secure_base.web", "--port", "0", "--rasa-url", "ftp://nope"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "Rasa URL" in result.stderr


def test_command_line_refuses_aiohttps_pure_python_parser() -> None:
    from secure_base.web.server import uses_compiled_http_parser

    assert uses_compiled_http_parser()  # this environment: the llhttp parser
    result = subprocess.run(
        [sys.executable, "-m", "secure_base.web", "--port", "0"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "AIOHTTP_NO_EXTENSIONS": "1"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "pure-Python HTTP parser" in result.stderr


async def test_request_bodies_over_the_limit_are_413(site: str) -> None:
    from secure_base.web.server import MAX_BODY_BYTES

    async with aiohttp.ClientSession() as session:
        # A declared length over the limit, on any route and method.
        for method, path in (("POST", "/"), ("GET", "/articles/"), ("PUT", "/nope")):
            async with session.request(
                method, site + path, data=b"x" * (MAX_BODY_BYTES + 1)
            ) as response:
                assert response.status == 413, (method, path)
        # A chunked body (no declared length) is refused too.

        async def chunks():  # type: ignore[no-untyped-def]
            yield b"x" * 1024

        async with session.post(site + "/", data=chunks()) as response:
            assert response.status == 413
        # A small body on a GET changes nothing; the site still works.
        async with session.get(site + "/healthz", data=b"{}") as response:
            assert response.status == 200
    status, _, _ = await _get(site + "/")
    assert status == 200
