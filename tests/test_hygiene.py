"""Control and bidi characters out of stored fields, the staff terminal and CSV exports."""

from __future__ import annotations

import csv
import io
import json
import unicodedata

import pytest
from cryptography.fernet import Fernet

from secure_base import crypto, db
from secure_base.crisis.store import list_crisis_events, record_crisis_event
from secure_base.db import get_engine, session_scope
from secure_base.intake.cli import main
from secure_base.intake.store import get_submission, record_from_slots, submit_intake
from secure_base.textsafe import clean_text, clean_value, csv_cell, one_line
from tests.conftest import BACKENDS, fresh_database_url
from tests.test_intake_store import confirmed_slots

# Terminal escapes (clear screen, set title), a carriage return that overwrites the line,
# a C1 CSI, NUL, bidi override/isolates and zero-width characters.
HOSTILE = (
    "\x1b[2J\x1b]0;pwned\x07Ann\ra\x9b31m\x00"
    "\u202eevil\u202c\u2066iso\u2069\u200bzero\u200d\ufeffwidth\u2028sep"
)
UNSAFE = {"\x1b", "\x07", "\r", "\x9b", "\x00", "\u202e", "\u202c", "\u2066", "\u2069",
          "\u200b", "\u200d", "\ufeff", "\u2028"}


def has_unsafe(text: str) -> bool:
    return any(ch in UNSAFE or unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\t"
               for ch in text)


def test_clean_text_removes_controls_and_bidi_but_keeps_text() -> None:
    cleaned = clean_text(HOSTILE)
    assert not has_unsafe(cleaned)
    assert cleaned == "[2J]0;pwnedAnn\na31mevilisozerowidth\nsep"
    # Ordinary text, accents, emoji, line breaks and tabs are untouched.
    for text in ("Zoë, 34 — café ☕ 😀", "line one\nline two\tcol", "¿Dónde?", "日本語"):
        assert clean_text(text) == text
    assert clean_text("a\r\nb") == "a\nb"
    nested = {"k\u202e": ["x\x1b", 3, None, ("y\u200b",)]}
    assert clean_value(nested) == {"k": ["x", 3, None, ("y",)]}
    assert one_line("a\nb\tc\x1b") == "a ⏎ b c"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=HYPERLINK(\"http://x\",\"click\")", "'=HYPERLINK(\"http://x\",\"click\")"),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\n=1"),
        ("\u202e=1", "'=1"),  # hidden behind a bidi character: still neutralised
        ("Ann", "Ann"),
        ("a=b", "a=b"),
        (7, 7),
        (None, None),
    ],
)
def test_csv_cell_neutralises_formulas(value, expected) -> None:  # type: ignore[no-untyped-def]
    assert csv_cell(value) == expected


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SECURE_BASE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SECURE_BASE_INTAKE_KEY", Fernet.generate_key().decode())
    monkeypatch.delenv("SECURE_BASE_DATABASE_URL", raising=False)
    crypto.clear_cipher_cache()
    db.dispose_engines()
    with fresh_database_url(request.param, tmp_path) as url:
        from secure_base.schema import create_schema

        create_schema(get_engine(url))
        yield url
        db.dispose_engines()
        crypto.clear_cipher_cache()


def add_hostile_intake(url: str) -> int:
    slots = confirmed_slots(
        preferred_name="=HYPERLINK(\"http://evil.test\",\"Ann\")",
        reason=HOSTILE,
        hopes="@SUM(1+1)*cmd|' /C calc'!A0",
        availability="\u202eevenings",
    )
    record = record_from_slots(slots, "conv-\u202ehostile")
    with session_scope(get_engine(url)) as session:
        submission, _ = submit_intake(session, record)
        return submission.id


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_stored_intake_fields_are_clean(db_url) -> None:  # type: ignore[no-untyped-def]
    sid = add_hostile_intake(db_url)
    with session_scope(get_engine(db_url)) as session:
        row = get_submission(session, sid)
        assert row is not None
        for value in (row.preferred_name, row.reason, row.hopes, row.availability,
                      row.answers_json):
            assert not has_unsafe(value), value
        assert row.reason == clean_text(HOSTILE)
        assert row.answers["reason"] == clean_text(HOSTILE)
        # The conversation ID is a key, matched exactly (deletion by conversation).
        assert row.conversation_id == "conv-\u202ehostile"


def test_staff_cli_prints_and_exports_nothing_hostile(db_url) -> None:  # type: ignore[no-untyped-def]
    sid = add_hostile_intake(db_url)
    code, out, _ = run_cli("show", str(sid), "--database-url", db_url)
    assert code == 0 and not has_unsafe(out)
    reason_lines = [line for line in out.splitlines() if line.startswith("reason")]
    assert len(reason_lines) == 1 and "⏎" in reason_lines[0]  # one line, breaks shown
    assert "conv-hostile" in out  # the stored key, cleaned for display

    code, out, _ = run_cli("export", "--format", "csv", "--database-url", db_url)
    assert code == 0 and not has_unsafe(out.replace("\r\n", "\n"))
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert row["preferred_name"] == "'=HYPERLINK(\"http://evil.test\",\"Ann\")"
    assert row["hopes"].startswith("'@")
    assert row["availability"] == "evenings"
    # The phone is not chosen here, but an E.164 number would also be quoted: "'+1...".
    for name, cell in row.items():
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), name

    code, out, _ = run_cli("export", "--format", "json", "--database-url", db_url)
    (item,) = json.loads(out)
    assert not has_unsafe(json.dumps(item, ensure_ascii=False))


def test_crisis_record_fields_are_clean(engine) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        record_crisis_event(
            session,
            conversation_id="c-1",
            trigger_message="I want to die\u202e\x1b[2J",
            channel="socketio\x1b",
            detection_layer="keyword\u200b",
            rule="rule\u2066x",
        )
    with session_scope(engine) as session:
        (event,) = list_crisis_events(session)
        assert event.trigger_message == "I want to die[2J"
        assert event.channel == "other"  # not a known channel name
        assert event.detection_layer == "keyword" and event.rule == "rulex"
