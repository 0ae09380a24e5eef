"""The practice website: an aiohttp server for the page, its assets and the articles.

``python -m secure_base.web --port 8080 --rasa-url http://localhost:5005`` serves:

* ``/`` the home page, rendered from the practice profile on every request (so profile
  edits show without a restart), with the chat widget configured for the Rasa server;
* ``/static/...`` the site's CSS, JavaScript and icon (``website/static``);
* ``/vendor/socket.io.min.js`` the socket.io browser client installed by
  ``scripts/install_web.sh`` into ``website/node_modules``;
* ``/articles/`` and ``/articles/<slug>`` the article catalog (``articles/*.md``);
* ``/healthz`` a liveness check;
* ``POST /chat/session`` a signed, expiring chat session token for the widget
  (:mod:`secure_base.session_token`): a new one, or a renewal of a still valid one.

Every response carries security headers; the Content-Security-Policy allows scripts,
styles and connections only from this site and (for the chat) from the Rasa server.
The server keeps no access log: paths are not user text, but nothing needs them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from secure_base import session_token
from secure_base.access import MissingSecretError, session_secret
from secure_base.catalog.articles import ArticleSource, CatalogError
from secure_base.profile import PracticeProfile, ProfileError, load_profile
from secure_base.settings import PROJECT_ROOT, load_settings
from secure_base.web.articles import list_articles, load_article, render_markdown
from secure_base.web.pages import ChatEndpoint, Pages

logger = logging.getLogger(__name__)

DEFAULT_RASA_URL = "http://localhost:5005"
DEFAULT_HOST = "127.0.0.1"
#: Where ``npm ci`` puts the socket.io browser bundle, relative to ``website/``.
SOCKETIO_BUNDLE = Path("node_modules/socket.io-client/dist/socket.io.min.js")

#: Largest request body the site accepts. It has no forms and no uploads (every route is
#: a GET), so anything bigger is refused before a handler runs.
MAX_BODY_BYTES = 64 * 1024

_HOST_RE = re.compile(r"[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]")
_PATH_RE = re.compile(r"[A-Za-z0-9._~/\-]*")


class WebConfigError(ValueError):
    """The website configuration is invalid; the message says what to fix."""


@dataclass(frozen=True)
class RasaEndpoint:
    """The Rasa server as the browser reaches it.

    Attributes:
        origin: ``scheme://host[:port]`` given to the socket.io client.
        socket_path: The socket.io path on that server (``/socket.io`` unless Rasa is
            served under a path prefix by a reverse proxy).
        ws_origin: The same origin with ``ws``/``wss``, for the CSP ``connect-src``.

    """

    origin: str
    socket_path: str
    ws_origin: str


def parse_rasa_url(url: str) -> RasaEndpoint:
    """Validate the Rasa server URL and derive what the page and the CSP need.

    Raises:
        WebConfigError: When the URL is not a plain ``http(s)://host[:port][/path]``.

    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise WebConfigError(f"Rasa URL {url!r} is not a valid URL: {exc}") from exc
    host = parts.netloc.rsplit("@", 1)[-1]
    if port is not None:
        host = host[: -len(f":{port}")]
    if (
        parts.scheme not in ("http", "https")
        or not host
        or not _HOST_RE.fullmatch(host)
        or "@" in parts.netloc
        or parts.query
        or parts.fragment
        or not _PATH_RE.fullmatch(parts.path)
    ):
        raise WebConfigError(
            f"Rasa URL {url!r} must look like http://host:port (optionally with a path), "
            "without credentials, query or fragment"
        )
    netloc = host.lower() + (f":{port}" if port is not None else "")
    ws_scheme = "wss" if parts.scheme == "https" else "ws"
    return RasaEndpoint(
        origin=f"{parts.scheme}://{netloc}",
        socket_path=parts.path.rstrip("/") + "/socket.io",
        ws_origin=f"{ws_scheme}://{netloc}",
    )


@dataclass(frozen=True)
class WebConfig:
    """Everything the website server needs.

    Attributes:
        port: TCP port to listen on.
        rasa_url: Base URL of the Rasa server as seen from the visitor's browser.
        host: Interface to bind (``0.0.0.0`` to serve other machines).
        profile_path: The practice profile.
        articles_dir: Folder of ``<slug>.md`` articles.
        website_dir: The ``website/`` folder (templates, static assets, node_modules).
        socketio_bundle: The socket.io browser client file.
        session_secret: Signs chat session tokens (None: the setting, or the
            development secret in the data directory, read on first use).
        session_ttl: Seconds a chat session token stays valid.
        site_origins: Origins besides this site's own that may ask for a session token.

    """

    port: int
    rasa_url: str = DEFAULT_RASA_URL
    host: str = DEFAULT_HOST
    profile_path: Path = field(default_factory=lambda: load_settings().profile_path)
    articles_dir: Path = PROJECT_ROOT / "articles"
    website_dir: Path = PROJECT_ROOT / "website"
    socketio_bundle: Path | None = None
    session_secret: str | None = None
    session_ttl: int = 7200
    site_origins: tuple[str, ...] = ()

    @property
    def bundle_path(self) -> Path:
        """Return the socket.io client file that ``/vendor/socket.io.min.js`` serves."""
        return self.socketio_bundle or self.website_dir / SOCKETIO_BUNDLE


def uses_compiled_http_parser() -> bool:
    """Whether aiohttp parses requests with its compiled (llhttp) parser.

    aiohttp 3.9.5 (the newest Rasa 3.6 allows) has request-smuggling flaws in its
    pure-Python parser only (CVE-2024-52304, CVE-2025-53643; docs/dependencies.md). That
    parser is used when the C extensions are missing or ``AIOHTTP_NO_EXTENSIONS`` is set.
    """
    from aiohttp import http_parser

    compiled = getattr(http_parser, "HttpRequestParserC", None)
    return compiled is not None and http_parser.HttpRequestParser is compiled


def load_web_config(
    env: Mapping[str, str] | None = None,
    *,
    port: int | None = None,
    rasa_url: str | None = None,
    host: str | None = None,
    articles_dir: Path | None = None,
) -> WebConfig:
    """Build the configuration from arguments, falling back to the environment.

    ``SECURE_BASE_WEB_PORT`` (via :func:`secure_base.settings.load_settings`),
    ``SECURE_BASE_RASA_URL``, ``SECURE_BASE_WEB_HOST`` and ``SECURE_BASE_ARTICLES_DIR``
    are read when the matching argument is not given.

    Raises:
        WebConfigError: When the port or the Rasa URL is invalid, or aiohttp would parse
            requests with its pure-Python parser (:func:`uses_compiled_http_parser`).

    """
    env = os.environ if env is None else env
    if not uses_compiled_http_parser():
        raise WebConfigError(
            "aiohttp is using its pure-Python HTTP parser, which has known request-smuggling "
            "flaws in this version: unset AIOHTTP_NO_EXTENSIONS, or reinstall aiohttp from "
            "its wheel (docs/dependencies.md)"
        )
    try:
        settings = load_settings(env)  # type: ignore[arg-type]
    except ValueError as exc:
        raise WebConfigError(f"Invalid setting: {exc}") from exc
    port = settings.web_port if port is None else port
    if not 0 <= port <= 65535:
        raise WebConfigError(f"Port {port} is out of range (0-65535)")
    rasa_url = rasa_url or env.get("SECURE_BASE_RASA_URL") or DEFAULT_RASA_URL
    parse_rasa_url(rasa_url)
    folder = articles_dir or Path(env.get("SECURE_BASE_ARTICLES_DIR", PROJECT_ROOT / "articles"))
    try:
        secret = session_secret(settings)
    except MissingSecretError as exc:
        raise WebConfigError(str(exc)) from exc
    return WebConfig(
        port=port,
        rasa_url=rasa_url,
        host=host or env.get("SECURE_BASE_WEB_HOST", DEFAULT_HOST),
        profile_path=settings.profile_path,
        articles_dir=Path(folder),
        session_secret=secret,
        session_ttl=settings.session_ttl,
        site_origins=settings.site_origins,
    )


def content_security_policy(endpoint: RasaEndpoint) -> str:
    """Return the CSP header value: only this site, plus the Rasa server for the chat."""
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' https:",
            "font-src 'self'",
            f"connect-src 'self' {endpoint.origin} {endpoint.ws_origin}",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


CONFIG = web.AppKey("config", WebConfig)
ENDPOINT = web.AppKey("endpoint", RasaEndpoint)
PAGES = web.AppKey("pages", Pages)
CSP = web.AppKey("csp", str)

_NOT_FOUND = (
    "Page not found",
    "We couldn't find that page. It may have moved, or the address may have a small typo.",
)
_SERVER_ERROR = (
    "Something went wrong",
    "This page couldn't be shown just now. Please try again in a moment.",
)


def _profile_or_none(config: WebConfig) -> PracticeProfile | None:
    try:
        return load_profile(config.profile_path)
    except ProfileError:
        logger.exception("The practice profile cannot be loaded")
        return None


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


async def _error_page(
    app: web.Application, status: int, heading: str, message: str
) -> web.Response:
    config, pages = app[CONFIG], app[PAGES]

    def render() -> str:
        profile = _profile_or_none(config)
        return pages.error(profile, status=status, heading=heading, message=message)

    try:
        body = await asyncio.to_thread(render)
    except Exception:  # the error page itself failed: answer in plain text
        logger.exception("Cannot render the error page")
        return web.Response(text=f"{status} {heading}", status=status)
    return _html(body, status=status)


@web.middleware
async def _errors(request: web.Request, handler):  # type: ignore[no-untyped-def]
    try:
        return await handler(request)
    except (web.HTTPNotFound, web.HTTPForbidden):
        # HTTPForbidden only comes from the static handler (a folder): say "not found".
        return await _error_page(request.app, 404, *_NOT_FOUND)
    except web.HTTPException:
        raise
    except Exception:
        logger.exception("Error while serving %s %s", request.method, request.path)
        return await _error_page(request.app, 500, *_SERVER_ERROR)


@web.middleware
async def _limits(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Refuse request bodies over :data:`MAX_BODY_BYTES`, or of undeclared length, with 413.

    aiohttp's ``client_max_size`` only applies when a handler reads the body; this
    refuses it before any handler runs, whatever the route. Header and URL sizes are
    capped by aiohttp's parser (8 KB each, 400 over that).
    """
    if request.body_exists and (
        request.content_length is None or request.content_length > MAX_BODY_BYTES
    ):
        raise web.HTTPRequestEntityTooLarge(
            max_size=MAX_BODY_BYTES, actual_size=request.content_length or MAX_BODY_BYTES + 1
        )
    return await handler(request)


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers["Content-Security-Policy"] = request.app[CSP]
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-cache"


async def _index(request: web.Request) -> web.Response:
    config, pages, endpoint = request.app[CONFIG], request.app[PAGES], request.app[ENDPOINT]

    def render() -> str:
        profile = load_profile(config.profile_path)
        latest = list_articles(config.articles_dir)[:3]
        chat = ChatEndpoint(url=endpoint.origin, socket_path=endpoint.socket_path)
        return pages.index(profile, chat, latest)

    return _html(await asyncio.to_thread(render))


async def _articles_index(request: web.Request) -> web.Response:
    config, pages = request.app[CONFIG], request.app[PAGES]

    def render() -> str:
        return pages.articles_index(_profile_or_none(config), list_articles(config.articles_dir))

    return _html(await asyncio.to_thread(render))


def _related_articles(articles_dir: Path, article: ArticleSource) -> list[ArticleSource]:
    """The related articles that can be shown; a missing or broken one is left out.

    The catalog validator rejects links to missing articles, but the website serves the
    folder as it is, so a file removed after validation must not break its neighbours.
    """
    found = []
    for slug in article.related:
        try:
            other = load_article(articles_dir, slug)
        except CatalogError:
            logger.warning("Related article %s cannot be shown", slug)
            continue
        if other is not None:
            found.append(other)
    return found


async def _article(request: web.Request) -> web.Response:
    config, pages = request.app[CONFIG], request.app[PAGES]
    slug = request.match_info["slug"]

    def render() -> str | None:
        try:
            article = load_article(config.articles_dir, slug)
        except CatalogError:
            logger.exception("Article %s cannot be shown", slug)
            raise
        if article is None:
            return None
        return pages.article(
            _profile_or_none(config),
            article,
            render_markdown(article.body),
            _related_articles(config.articles_dir, article),
        )

    body = await asyncio.to_thread(render)
    if body is None:
        raise web.HTTPNotFound()
    return _html(body)


async def _articles_redirect(_: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/articles/")


async def _socketio_bundle(request: web.Request) -> web.StreamResponse:
    path = request.app[CONFIG].bundle_path
    if request.path.endswith(".map"):
        path = path.with_name(path.name + ".map")
    if not path.is_file():
        logger.error("%s is missing: run scripts/install_web.sh", path)
        return web.Response(
            status=503,
            text="// The chat client is not installed: run scripts/install_web.sh\n",
            content_type="text/javascript",
        )
    return web.FileResponse(path, headers={"Content-Type": "text/javascript; charset=utf-8"})


def _same_site(request: web.Request) -> bool:
    """Whether a browser request comes from this site (or a configured site origin)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a cross-site browser request (curl, same-origin GET...)
    own = f"{request.scheme}://{request.host}"
    return origin == own or origin in request.app[CONFIG].site_origins


async def _chat_session(request: web.Request) -> web.Response:
    """A chat session token: the same conversation if a valid token is given, else new."""
    config = request.app[CONFIG]
    if not _same_site(request):
        return web.json_response({"error": "cross-site request"}, status=403)
    secret = config.session_secret or await asyncio.to_thread(session_secret)
    given = None
    if request.can_read_body:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "the body must be JSON"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"error": "the body must be a JSON object"}, status=400)
        given = body.get("token")
    continued = False
    issued = None
    if given is not None:
        try:
            issued = session_token.renew(secret, given, config.session_ttl)
            continued = True
        except session_token.InvalidSessionToken:
            issued = None  # expired or not ours: a new conversation
    if issued is None:
        issued = session_token.issue(secret, config.session_ttl)
    return web.json_response(
        {"token": issued.token, "expires_at": issued.expires_at,
         "ttl": config.session_ttl, "continued": continued},
        headers={"Cache-Control": "no-store"},
    )


async def _healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app(config: WebConfig) -> web.Application:
    """Build the aiohttp application for ``config``.

    Raises:
        WebConfigError: When the Rasa URL is invalid.

    """
    endpoint = parse_rasa_url(config.rasa_url)
    app = web.Application(middlewares=[_limits, _errors], client_max_size=MAX_BODY_BYTES)
    app[CONFIG] = config
    app[ENDPOINT] = endpoint
    app[PAGES] = Pages(config.website_dir / "templates")
    app[CSP] = content_security_policy(endpoint)
    app.on_response_prepare.append(_security_headers)
    app.router.add_get("/", _index)
    app.router.add_get("/healthz", _healthz)
    app.router.add_post("/chat/session", _chat_session)
    app.router.add_get("/articles", _articles_redirect)
    app.router.add_get("/articles/", _articles_index)
    app.router.add_get(r"/articles/{slug}", _article)
    app.router.add_get("/vendor/socket.io.min.js", _socketio_bundle)
    app.router.add_get("/vendor/socket.io.min.js.map", _socketio_bundle)
    app.router.add_static(
        "/static/", config.website_dir / "static", show_index=False, follow_symlinks=False
    )
    return app


async def start(config: WebConfig, *, shutdown_timeout: float = 5.0) -> tuple[web.AppRunner, int]:
    """Start serving ``config`` and return the runner and the bound port.

    Port 0 binds a free port. Stop the server with ``await runner.cleanup()``.
    """
    runner = web.AppRunner(create_app(config), access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    port = config.port
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            port = int(address[1])
            break
    return runner, port


def _start_retention_purge(stop: asyncio.Event) -> asyncio.Task | None:
    """Start the daily retention purge (secure_base.purge) beside the website, if enabled.

    The website is the one long-running process of ``make run`` that Secure Base owns
    with a start and a stop (Rasa and rasa-sdk offer no such hook), and it runs once
    per installation, so the purge runs once per interval. ``SECURE_BASE_PURGE_INTERVAL_HOURS``
    (24 by default; 0 turns it off, e.g. when cron runs ``python -m secure_base.purge``).
    """
    from secure_base.purge import purge_periodically

    hours = load_settings().purge_interval_hours
    if hours <= 0:
        logger.info("Retention purge is off (SECURE_BASE_PURGE_INTERVAL_HOURS=0)")
        return None
    return asyncio.create_task(purge_periodically(hours, stop))


async def serve(config: WebConfig) -> None:
    """Serve until SIGINT or SIGTERM, then finish open requests and stop."""
    runner, port = await start(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    shown_host = "localhost" if config.host in ("127.0.0.1", "0.0.0.0", "::") else config.host
    logger.info("Secure Base website on http://%s:%d (chat: %s)", shown_host, port, config.rasa_url)
    if not config.bundle_path.is_file():
        logger.warning(
            "The socket.io client is missing (%s): run scripts/install_web.sh", config.bundle_path
        )
    purging = _start_retention_purge(stop)
    try:
        await stop.wait()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        logger.info("Shutting down the website")
        if purging is not None:
            await purging
        await runner.cleanup()
        logger.info("Website stopped")
