"""Settings read from the environment, with defaults for the embedded (SQLite) setup.

Every path and URL the assistant uses is derived here, so the run script, the action
server, the CLIs and the tests agree on where things live.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class TelegramSettings:
    """The Telegram channel (docs/channels.md); on when token, bot name and secret are set.

    Attributes:
        token: The bot's token from BotFather (``SECURE_BASE_TELEGRAM_TOKEN``).
        bot_name: The bot's username (``SECURE_BASE_TELEGRAM_BOT_NAME``).
        secret: The webhook's ``secret_token``; Telegram sends it back in every update
            (``SECURE_BASE_TELEGRAM_SECRET``).
        api_url: Base URL of the Bot API (``SECURE_BASE_TELEGRAM_API_URL``).
    """

    token: str = ""
    bot_name: str = ""
    secret: str = ""
    api_url: str = "https://api.telegram.org"

    @property
    def enabled(self) -> bool:
        """Whether every variable the channel needs is set."""
        return bool(self.token and self.bot_name and self.secret)


@dataclass(frozen=True)
class TwilioSettings:
    """SMS and WhatsApp through Twilio; on with account, token and at least one number.

    Attributes:
        account_sid: ``SECURE_BASE_TWILIO_ACCOUNT_SID``.
        auth_token: Signs Twilio's webhooks and authenticates replies
            (``SECURE_BASE_TWILIO_AUTH_TOKEN``).
        number: The SMS number replies are sent from (``SECURE_BASE_TWILIO_NUMBER``).
        whatsapp_number: The WhatsApp sender, with or without ``whatsapp:``
            (``SECURE_BASE_TWILIO_WHATSAPP_NUMBER``).
        public_url: The Rasa server's base URL as Twilio calls it, e.g.
            ``https://chat.example.org`` (``SECURE_BASE_TWILIO_PUBLIC_URL``); Twilio signs
            the URL it called, which a server behind a proxy cannot see. Empty: the
            request's own URL.
        api_url: Base URL of Twilio's REST API (``SECURE_BASE_TWILIO_API_URL``).
    """

    account_sid: str = ""
    auth_token: str = ""
    number: str = ""
    whatsapp_number: str = ""
    public_url: str = ""
    api_url: str = "https://api.twilio.com"

    @property
    def enabled(self) -> bool:
        """Whether every variable the channel needs is set."""
        return bool(self.account_sid and self.auth_token and (self.number or self.whatsapp_number))


@dataclass(frozen=True)
class FacebookSettings:
    """Facebook Messenger; on when verify token, app secret and page token are set.

    Attributes:
        verify: The webhook's verify token, chosen by the owner (``SECURE_BASE_FACEBOOK_VERIFY``).
        secret: The app secret that signs every webhook (``SECURE_BASE_FACEBOOK_SECRET``).
        page_token: The page access token for replies (``SECURE_BASE_FACEBOOK_PAGE_TOKEN``).
        api_url: Base URL of the Graph API, without version (``SECURE_BASE_FACEBOOK_API_URL``).
    """

    verify: str = ""
    secret: str = ""
    page_token: str = ""
    api_url: str = "https://graph.facebook.com"

    @property
    def enabled(self) -> bool:
        """Whether every variable the channel needs is set."""
        return bool(self.verify and self.secret and self.page_token)


@dataclass(frozen=True)
class SlackSettings:
    """Slack; on when the bot token and the signing secret are set.

    Attributes:
        token: The bot token, ``xoxb-...`` (``SECURE_BASE_SLACK_TOKEN``).
        signing_secret: Signs every request from Slack (``SECURE_BASE_SLACK_SIGNING_SECRET``).
        api_url: Base URL of Slack's Web API (``SECURE_BASE_SLACK_API_URL``).
    """

    token: str = ""
    signing_secret: str = ""
    api_url: str = "https://slack.com/api/"

    @property
    def enabled(self) -> bool:
        """Whether every variable the channel needs is set."""
        return bool(self.token and self.signing_secret)


#: Every messaging channel variable: (settings attribute, field, variable, is a secret).
CHANNEL_VARIABLES: tuple[tuple[str, str, str, bool], ...] = (
    ("telegram", "token", "SECURE_BASE_TELEGRAM_TOKEN", True),
    ("telegram", "bot_name", "SECURE_BASE_TELEGRAM_BOT_NAME", False),
    ("telegram", "secret", "SECURE_BASE_TELEGRAM_SECRET", True),
    ("telegram", "api_url", "SECURE_BASE_TELEGRAM_API_URL", False),
    ("twilio", "account_sid", "SECURE_BASE_TWILIO_ACCOUNT_SID", False),
    ("twilio", "auth_token", "SECURE_BASE_TWILIO_AUTH_TOKEN", True),
    ("twilio", "number", "SECURE_BASE_TWILIO_NUMBER", False),
    ("twilio", "whatsapp_number", "SECURE_BASE_TWILIO_WHATSAPP_NUMBER", False),
    ("twilio", "public_url", "SECURE_BASE_TWILIO_PUBLIC_URL", False),
    ("twilio", "api_url", "SECURE_BASE_TWILIO_API_URL", False),
    ("facebook", "verify", "SECURE_BASE_FACEBOOK_VERIFY", True),
    ("facebook", "secret", "SECURE_BASE_FACEBOOK_SECRET", True),
    ("facebook", "page_token", "SECURE_BASE_FACEBOOK_PAGE_TOKEN", True),
    ("facebook", "api_url", "SECURE_BASE_FACEBOOK_API_URL", False),
    ("slack", "token", "SECURE_BASE_SLACK_TOKEN", True),
    ("slack", "signing_secret", "SECURE_BASE_SLACK_SIGNING_SECRET", True),
    ("slack", "api_url", "SECURE_BASE_SLACK_API_URL", False),
)

_CHANNEL_CLASSES = {
    "telegram": TelegramSettings,
    "twilio": TwilioSettings,
    "facebook": FacebookSettings,
    "slack": SlackSettings,
}


def _channel_settings(env: os._Environ[str] | dict[str, str]) -> dict[str, object]:
    """Each channel's settings; an unset or empty variable keeps its default."""
    values: dict[str, dict[str, str]] = {name: {} for name in _CHANNEL_CLASSES}
    for channel, attribute, variable, _secret in CHANNEL_VARIABLES:
        raw = (env.get(variable) or "").strip()
        if raw:
            values[channel][attribute] = raw
    return {name: cls(**values[name]) for name, cls in _CHANNEL_CLASSES.items()}


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
        telegram: The Telegram channel's settings (off unless configured).
        twilio: The Twilio (SMS, WhatsApp) channel's settings.
        facebook: The Messenger channel's settings.
        slack: The Slack channel's settings.
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
    pg_sslmode: str = "prefer"  # the default of OPTIONAL_ENDPOINT_VARIABLES
    redis_password: str = ""
    redis_tls: bool = False
    redis_ca_certs: str = ""
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    twilio: TwilioSettings = field(default_factory=TwilioSettings)
    facebook: FacebookSettings = field(default_factory=FacebookSettings)
    slack: SlackSettings = field(default_factory=SlackSettings)

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
        pg_sslmode=(env.get("SECURE_BASE_PG_SSLMODE")
                    or OPTIONAL_ENDPOINT_VARIABLES["SECURE_BASE_PG_SSLMODE"]),
        redis_password=env.get("SECURE_BASE_REDIS_PASSWORD", ""),
        redis_tls=_flag(env.get("SECURE_BASE_REDIS_TLS"), default=False),
        redis_ca_certs=env.get("SECURE_BASE_REDIS_CA_CERTS", ""),
        **_channel_settings(env),  # type: ignore[arg-type]
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
    lines += channel_lines(settings)
    return "\n".join(lines)


def channel_lines(settings: Settings) -> list[str]:
    """The messaging channels for :func:`shell_exports`: on/off and every variable.

    Secrets are never printed: a set secret is exported from the environment as it is
    (``"${NAME-}"``) with a ``# set (secret)`` note, an unset one is marked ``# not set``.
    """
    lines = []
    for channel in _CHANNEL_CLASSES:
        config = getattr(settings, channel)
        lines.append(f"# {channel} channel: {'on' if config.enabled else 'off'}")
        for name, attribute, variable, secret in CHANNEL_VARIABLES:
            if name != channel:
                continue
            value = getattr(config, attribute)
            if secret:
                note = "set (secret)" if value else "not set"
                lines.append(f'export {variable}="${{{variable}-}}"  # {note}')
            else:
                lines.append(f"export {variable}={shlex_quote(value)}")
    return lines


def shlex_quote(value: str) -> str:
    """``value`` quoted for a POSIX shell."""
    import shlex

    return shlex.quote(value)


if __name__ == "__main__":  # `python -m secure_base.settings` prints the exports
    print(shell_exports(load_settings()))
