"""Settings read from the environment, with defaults for the embedded (SQLite) setup.

Every path and URL the assistant uses is derived here, so the run script, the action
server, the CLIs and the tests agree on where things live.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one process.

    Attributes:
        data_dir: Directory holding the SQLite databases, keys and logs.
        database_url: SQLAlchemy URL of the application database.
        tracker_db: Path of Rasa's SQLite tracker store.
        profile_path: Path of the practice profile YAML file.
        environment: ``development`` or ``production``; production refuses unsafe defaults.
        intake_key: Fernet key for intake data, if given in the environment.
        notify_email_to: Address that receives staff notifications (empty: e-mail off).
        smtp_host: SMTP server host for notifications.
        smtp_port: SMTP server port.
        smtp_sender: From address of notifications.
        notify_webhook_url: URL that receives notification JSON (empty: webhook off).
        notify_webhook_secret: Key of the webhook's HMAC-SHA256 signature header (empty:
            unsigned; production refuses a webhook without it).
        smtp_user: SMTP login name (empty: no login).
        smtp_password: SMTP password.
        smtp_starttls: Upgrade the SMTP connection with STARTTLS (on by default when a
            login is configured; a login is never sent without it).
        smtp_ca_file: CA certificates that verify the SMTP server (empty: the system's).
        notify_max_per_conversation: At most this many notifications per conversation
            in :attr:`notify_window_seconds`; further ones are counted, not sent.
        notify_max_per_source: At most this many per kind and channel in the window.
        notify_window_seconds: The throttling window (one hour).
        pg_sslmode: libpq ``sslmode`` of the scale-out tracker store (endpoints.scale.yml).
        redis_password: Redis AUTH password of the scale-out lock store (empty: none).
        redis_tls: Connect to the scale-out Redis over TLS.
        redis_ca_certs: CA file that verifies Redis's certificate (empty: system CAs).
        rasa_port: Port of the Rasa server.
        action_port: Port of the action server.
        web_port: Port of the website.
        bind_host: Interface the servers listen on (loopback unless set).
        endpoints_file: Rasa endpoints file (endpoints.scale.yml for PostgreSQL + Redis).
        api_token: Token of Rasa's HTTP API; without one the API is off.
        site_origins: Origins (``scheme://host[:port]``) allowed to call Rasa from a
            browser (CORS); the website's own origin by default.
        action_bind: Interface the action server listens on (loopback unless set).
        action_secret: Shared secret Rasa sends to the action server (generated in
            ``<data_dir>/keys/`` in development when not set).
        session_secret: Server secret that signs the website's chat session tokens
            (generated in ``<data_dir>/keys/`` in development when not set).
        session_ttl: Seconds a chat session token stays valid.
        rest_token: Bearer token the REST channel requires (empty: REST open).
        purge_interval_hours: How often the website process runs the retention purge
            (0: never; then run ``python -m secure_base.purge`` from cron).
    """

    data_dir: Path
    database_url: str
    tracker_db: Path
    profile_path: Path
    environment: str
    intake_key: str | None
    notify_email_to: str
    smtp_host: str
    smtp_port: int
    smtp_sender: str
    notify_webhook_url: str
    rasa_port: int
    action_port: int
    web_port: int
    bind_host: str = "127.0.0.1"
    endpoints_file: str = "endpoints.yml"
    api_token: str | None = None
    site_origins: tuple[str, ...] = ()
    action_bind: str = "127.0.0.1"
    action_secret: str | None = None
    session_secret: str | None = None
    session_ttl: int = 7200
    rest_token: str | None = None
    purge_interval_hours: float = 24.0
    notify_webhook_secret: str = ""
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_ca_file: str = ""
    notify_max_per_conversation: int = 3
    notify_max_per_source: int = 30
    notify_window_seconds: int = 3600
    pg_sslmode: str = "prefer"
    redis_password: str = ""
    redis_tls: bool = False
    redis_ca_certs: str = ""

    @property
    def rasa_url(self) -> str:
        """Base URL of the Rasa server as seen from this machine."""
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        """Webhook URL of the action server."""
        return f"http://127.0.0.1:{self.action_port}/webhook"

    @property
    def is_production(self) -> bool:
        """Whether the assistant runs in production mode."""
        return self.environment == "production"


def load_settings(env: os._Environ[str] | dict[str, str] | None = None) -> Settings:
    """Builds settings from environment variables (``SECURE_BASE_*``).

    Args:
        env: Mapping to read instead of ``os.environ`` (used by tests).

    Returns:
        The resolved settings. Nothing is created on disk; call
        :func:`ensure_data_dir` when a process needs the directory.
    """
    env = os.environ if env is None else env
    web_port = int(env.get("SECURE_BASE_WEB_PORT", "8080"))
    data_dir = Path(env.get("SECURE_BASE_DATA_DIR", str(PROJECT_ROOT / "var"))).resolve()
    return Settings(
        data_dir=data_dir,
        database_url=env.get("SECURE_BASE_DATABASE_URL", f"sqlite:///{data_dir / 'app.db'}"),
        tracker_db=Path(env.get("SECURE_BASE_TRACKER_DB", str(data_dir / "tracker.db"))),
        profile_path=Path(env.get("SECURE_BASE_PROFILE", str(PROJECT_ROOT / "practice.yml"))),
        environment=env.get("SECURE_BASE_ENV", "development"),
        intake_key=env.get("SECURE_BASE_INTAKE_KEY") or None,
        notify_email_to=env.get("SECURE_BASE_NOTIFY_EMAIL", ""),
        smtp_host=env.get("SECURE_BASE_SMTP_HOST", "127.0.0.1"),
        smtp_port=int(env.get("SECURE_BASE_SMTP_PORT", "25")),
        smtp_sender=env.get("SECURE_BASE_SMTP_SENDER", "secure-base@localhost"),
        notify_webhook_url=env.get("SECURE_BASE_NOTIFY_WEBHOOK", ""),
        rasa_port=int(env.get("SECURE_BASE_RASA_PORT", "5005")),
        action_port=int(env.get("SECURE_BASE_ACTION_PORT", "5055")),
        web_port=web_port,
        bind_host=env.get("SECURE_BASE_BIND", "127.0.0.1"),
        endpoints_file=env.get("SECURE_BASE_ENDPOINTS", "endpoints.yml"),
        api_token=env.get("SECURE_BASE_API_TOKEN") or None,
        site_origins=_origins(env.get("SECURE_BASE_SITE_ORIGIN", ""), web_port),
        action_bind=env.get("SECURE_BASE_ACTION_BIND", "127.0.0.1"),
        action_secret=env.get("SECURE_BASE_ACTION_SECRET") or None,
        session_secret=env.get("SECURE_BASE_SESSION_SECRET") or None,
        session_ttl=int(env.get("SECURE_BASE_SESSION_TTL", "7200")),
        rest_token=env.get("SECURE_BASE_REST_TOKEN") or None,
        purge_interval_hours=float(env.get("SECURE_BASE_PURGE_INTERVAL_HOURS", "24")),
        notify_webhook_secret=env.get("SECURE_BASE_NOTIFY_WEBHOOK_SECRET", ""),
        smtp_user=env.get("SECURE_BASE_SMTP_USER", ""),
        smtp_password=env.get("SECURE_BASE_SMTP_PASSWORD", ""),
        smtp_starttls=_flag(
            env.get("SECURE_BASE_SMTP_STARTTLS"), default=bool(env.get("SECURE_BASE_SMTP_USER"))
        ),
        smtp_ca_file=env.get("SECURE_BASE_SMTP_CA_FILE", ""),
        notify_max_per_conversation=int(env.get("SECURE_BASE_NOTIFY_MAX_PER_CONVERSATION", "3")),
        notify_max_per_source=int(env.get("SECURE_BASE_NOTIFY_MAX_PER_SOURCE", "30")),
        notify_window_seconds=int(env.get("SECURE_BASE_NOTIFY_WINDOW_SECONDS", "3600")),
        pg_sslmode=env.get("SECURE_BASE_PG_SSLMODE") or "prefer",
        redis_password=env.get("SECURE_BASE_REDIS_PASSWORD", ""),
        redis_tls=_flag(env.get("SECURE_BASE_REDIS_TLS"), default=False),
        redis_ca_certs=env.get("SECURE_BASE_REDIS_CA_CERTS", ""),
    )


def _origins(raw: str, web_port: int) -> tuple[str, ...]:
    """The CORS origins: the setting (comma or space separated), else the local website."""
    given = tuple(o.strip().rstrip("/") for o in raw.replace(",", " ").split() if o.strip())
    return given or (f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}")


def _flag(raw: str | None, default: bool) -> bool:
    """A yes/no setting: ``1/true/yes/on`` or ``0/false/no/off``; ``default`` when unset.

    Raises:
        ValueError: For any other value, so a typo is not read as "off".
    """
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected yes/no (1/0, true/false, on/off), got {raw!r}")


def ensure_data_dir(settings: Settings) -> Path:
    """Creates the data directory (private to the user) if missing and returns it."""
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return settings.data_dir


#: Optional variables of endpoints.scale.yml and their defaults: Rasa needs every
#: ``${VARIABLE}`` set, so scripts export these and Python readers of the endpoints file
#: (secure_base.tracker_store) apply the same defaults.
OPTIONAL_ENDPOINT_VARIABLES: dict[str, str] = {
    "SECURE_BASE_PG_SSLMODE": "prefer",
    "SECURE_BASE_REDIS_PASSWORD": "",
    "SECURE_BASE_REDIS_TLS": "0",
    "SECURE_BASE_REDIS_CA_CERTS": "",
}


def shell_exports(settings: Settings) -> str:
    """Shell ``export`` lines that give scripts the same values as Python code."""
    import shlex

    values = {
        "SECURE_BASE_DATA_DIR": str(settings.data_dir),
        "SECURE_BASE_DATABASE_URL": settings.database_url,
        "SECURE_BASE_TRACKER_DB": str(settings.tracker_db),
        "SECURE_BASE_PROFILE": str(settings.profile_path),
        "SECURE_BASE_RASA_PORT": str(settings.rasa_port),
        "SECURE_BASE_ACTION_PORT": str(settings.action_port),
        "SECURE_BASE_WEB_PORT": str(settings.web_port),
        "SECURE_BASE_BIND": settings.bind_host,
        "SECURE_BASE_ENDPOINTS": settings.endpoints_file,
        "SECURE_BASE_ACTION_URL": settings.action_url,
        "SECURE_BASE_RASA_URL": settings.rasa_url,
        "SECURE_BASE_ACTION_BIND": settings.action_bind,
        "SECURE_BASE_SITE_ORIGIN": " ".join(settings.site_origins),
        # endpoints.scale.yml's optional transport settings (Rasa needs every variable).
        "SECURE_BASE_PG_SSLMODE": settings.pg_sslmode,
        "SECURE_BASE_REDIS_TLS": "1" if settings.redis_tls else "0",
        "SECURE_BASE_REDIS_CA_CERTS": settings.redis_ca_certs,
    }
    lines = [f"export {k}={shlex.quote(v)}" for k, v in values.items()]
    # Set (empty) when unset, as endpoints.scale.yml needs, without printing the secret.
    lines.append('export SECURE_BASE_REDIS_PASSWORD="${SECURE_BASE_REDIS_PASSWORD-}"')
    return "\n".join(lines)


if __name__ == "__main__":  # `python -m secure_base.settings` prints the exports
    print(shell_exports(load_settings()))
