"""The Rasa command line that secure_base.launch builds, read back by Rasa's own parser."""

from __future__ import annotations

import pytest
from rasa.__main__ import create_argument_parser

from secure_base.launch import rasa_arguments
from secure_base.settings import load_settings


@pytest.mark.parametrize("token", ["-starts-with-a-dash", "--looks-like-an-option", "plain"])
def test_any_api_token_reaches_rasa_as_its_auth_token(token: str) -> None:
    # secrets.token_urlsafe (what the docs suggest) starts with "-" 1 time in 64.
    args = create_argument_parser().parse_args(
        rasa_arguments(load_settings({"SECURE_BASE_API_TOKEN": token}), "models"))
    assert (args.enable_api, args.auth_token, args.model) == (True, token, "models")


def test_without_a_token_the_api_stays_off() -> None:
    args = create_argument_parser().parse_args(rasa_arguments(load_settings({}), "models"))
    assert (args.enable_api, args.auth_token) == (False, None)
