"""The practice website and chat widget server (see ``docs/website.md``).

Importing this package starts nothing; run ``python -m secure_base.web``.
"""

from secure_base.web.server import WebConfig, WebConfigError, create_app, load_web_config

__all__ = ["WebConfig", "WebConfigError", "create_app", "load_web_config"]
