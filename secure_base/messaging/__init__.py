"""Messaging channels whose webhooks are verified before anything is parsed or stored.

One module per provider, each a subclass of Rasa's connector with the same name and URL
(``/webhooks/<name>/webhook``): :mod:`.telegram`, :mod:`.twilio` (SMS and WhatsApp),
:mod:`.facebook` (Messenger), :mod:`.slack`. :mod:`.webhook` holds what they share: the
guard that runs before Rasa's handler, size limits, refusals logged without the body.
SMS and WhatsApp have more of their own: :mod:`.sms_keywords` (STOP, START, HELP),
:mod:`.opt_outs` and :mod:`.models` (who said STOP), :mod:`.sms_format` (replies as
plain, numbered, short, split text messages).
:mod:`.render` shapes replies for each channel (formatting, links, long texts).

A channel is configured from the settings (``SECURE_BASE_<CHANNEL>_*``,
:mod:`secure_base.settings`), never from credentials.yml, and is off (no routes) until
its variables are set. docs/channels.md says how to enable each one.
"""
