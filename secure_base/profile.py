"""The practice profile: one YAML file (``practice.yml``) that the practice owner edits.

It is validated with pydantic so that a typo gives a clear message naming the field,
instead of a half-working assistant. Both the training-data importer (which renders
practice-specific responses) and the action server read it through :func:`load_profile`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AnyHttpUrl, BaseModel, Field, ValidationError, validator
from pydantic.fields import ModelField

from secure_base.settings import load_settings


class ProfileError(ValueError):
    """The practice profile is missing or invalid; the message says what to fix."""


class PracticeInfo(BaseModel):
    """The practice's name and how it describes itself."""

    name: str
    short_name: str
    tagline: str = ""
    clinicians: str = "licensed psychotherapists"


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HOURS_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _parse_range(text: str) -> tuple[time, time]:
    """``"09:00-19:00"`` as (opens, closes); raises ValueError with what is wrong."""
    match = _HOURS_RANGE.match(text)
    if match is None:
        raise ValueError(f"{text!r} must look like 09:00-19:00 (24-hour clock)")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"{text!r} is not a time range on a 24-hour clock")
    opens, closes = time(h1, m1), time(h2, m2)
    if opens >= closes:
        raise ValueError(f"{text!r} must open before it closes (on the same day)")
    return opens, closes


@dataclass(frozen=True)
class OfficeStatus:
    """Whether the office is open at a moment, and the next change.

    Attributes:
        open_now: The office is open at that moment.
        closes_at: When it closes today (local time), if it is open.
        opens_at: When it next opens (local time), if it is closed.

    """

    open_now: bool
    closes_at: datetime | None = None
    opens_at: datetime | None = None


class OpeningHours(BaseModel):
    """Machine-readable office hours, so the assistant can tell whether the office is open.

    ``contact.hours`` stays the text people read; keep the two in line.

    Attributes:
        timezone: IANA time zone of the office, e.g. ``America/New_York``.
        weekly: Day name (``monday``...) mapped to ``"HH:MM-HH:MM"``; a day not listed
            is closed.

    """

    timezone: str
    weekly: dict[str, str]

    class Config:
        """A misspelt key must fail loudly, not silently close the office."""

        extra = "forbid"

    @validator("timezone")
    def _known_timezone(cls, name: str) -> str:  # noqa: N805
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{name!r} is not a known time zone (e.g. America/New_York)") from exc
        return name

    @validator("weekly")
    def _days_and_ranges(cls, weekly: dict[str, str]) -> dict[str, str]:  # noqa: N805
        if not weekly:
            raise ValueError("list at least one open day")
        cleaned = {}
        for day, text in weekly.items():
            key = day.strip().lower()
            if key not in WEEKDAYS:
                raise ValueError(f"{day!r} is not a day of the week (use monday ... sunday)")
            _parse_range(str(text))
            cleaned[key] = str(text).strip()
        return cleaned

    def status_at(self, moment: datetime) -> OfficeStatus:
        """Whether the office is open at ``moment`` (aware), and when that changes.

        Raises:
            ValueError: When ``moment`` is naive (its zone is unknown).

        """
        if moment.tzinfo is None:
            raise ValueError("status_at needs an aware datetime")
        zone = ZoneInfo(self.timezone)
        local = moment.astimezone(zone)
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            text = self.weekly.get(WEEKDAYS[day.weekday()])
            if text is None:
                continue
            opens, closes = _parse_range(text)
            start = datetime.combine(day, opens, tzinfo=zone)
            end = datetime.combine(day, closes, tzinfo=zone)
            if offset == 0 and start <= local < end:
                return OfficeStatus(True, closes_at=end)
            if local < start:
                return OfficeStatus(False, opens_at=start)
        return OfficeStatus(False)  # unreachable: weekly has at least one day


class Contact(BaseModel):
    """How and when to reach the practice."""

    email: str
    phone: str
    #: Office hours as people read them.
    hours: str
    #: The same hours, machine-readable (optional): lets the assistant say whether the
    #: office is open right now.
    opening_hours: OpeningHours | None = None
    response_time: str = "within two business days"
    location: str = ""
    booking_url: AnyHttpUrl


class FirstSession(BaseModel):
    """What the first session is like."""

    length_minutes: int = Field(50, gt=0)
    description: str
    free_consultation_minutes: int | None = None


class Fees(BaseModel):
    """Fees, insurance and payment."""

    session_fee: str
    sliding_scale: str = ""
    insurance: str
    payment_methods: str = ""
    cancellation: str = ""


class SessionFormat(BaseModel):
    """One way of meeting (online, in person...)."""

    key: str
    label: str
    detail: str = ""


def _filled_in(text: str, field: str) -> str:
    """``text`` stripped; raises ValueError naming ``field`` when it is blank."""
    if not text.strip():
        raise ValueError(f"{field} must not be empty: write a sentence for clients")
    return text.strip()


def _yes_or_no(value: object, field: str) -> bool:
    """A YAML true/false (yes/no); raises ValueError naming ``field`` for anything else."""
    if isinstance(value, bool):
        return value
    raise ValueError(f"{field} must be true or false (yes or no), not {value!r}")


class Couples(BaseModel):
    """Whether the practice sees couples (topic couples_work).

    Attributes:
        offered: The practice offers couples therapy.
        note: What clients should know: who sees couples and how, or, when it is not
            offered, what the practice suggests instead. Optional.

    """

    offered: bool
    note: str = ""

    class Config:
        """A misspelt key must fail loudly, not silently drop the practice's answer."""

        extra = "forbid"

    @validator("offered", pre=True)
    def _offered_is_yes_or_no(cls, value: object) -> bool:  # noqa: N805
        return _yes_or_no(value, "couples.offered")


class BetweenSessions(BaseModel):
    """How current clients reach their therapist between sessions (contact_between_sessions).

    Attributes:
        how: The ways to get in touch and what they are for, e.g. email for scheduling.
        response_time: How soon a client can expect a reply, e.g. "within one business day".
        after_hours: What happens to a message sent outside office hours. The answer
            always adds that messages are not monitored then, with the crisis lines.

    """

    how: str
    response_time: str
    after_hours: str

    class Config:
        """A misspelt key must fail loudly."""

        extra = "forbid"

    @validator("how", "response_time", "after_hours")
    def _written(cls, text: str, field: ModelField) -> str:  # noqa: N805
        return _filled_in(text, f"between_sessions.{field.name}")


class GoodFaithEstimate(BaseModel):
    """How the practice gives the US Good Faith Estimate (No Surprises Act).

    Attributes:
        how: When and how clients get their estimate, e.g. "by email when you book".
        note: Anything else, e.g. what the estimate is based on. Optional.

    """

    how: str
    note: str = ""

    class Config:
        """A misspelt key must fail loudly."""

        extra = "forbid"

    @validator("how")
    def _how_written(cls, text: str) -> str:  # noqa: N805
        return _filled_in(text, "good_faith_estimate.how")


class Superbill(BaseModel):
    """Whether the practice gives superbills for out-of-network claims (topic superbill).

    Attributes:
        provided: The practice gives superbills.
        note: When and how, e.g. "at the end of each month, by email". Optional.

    """

    provided: bool
    note: str = ""

    class Config:
        """A misspelt key must fail loudly."""

        extra = "forbid"

    @validator("provided", pre=True)
    def _provided_is_yes_or_no(cls, value: object) -> bool:  # noqa: N805
        return _yes_or_no(value, "superbill.provided")


def _has_a_number(line: str) -> bool:
    """A resource line must give something to call or text (at least three digits)."""
    return sum(character.isdigit() for character in line) >= 3


class CrisisRegion(BaseModel):
    """Crisis resources of one region, by kind of danger."""

    label: str
    #: Suicide and crisis lines (risk to self; also given for harm to others).
    lines: list[str] = Field(..., min_items=1)
    #: How to reach emergency services, e.g. "call 911".
    emergency: str
    #: Domestic-violence and abuse lines (harm from someone else).
    domestic_violence: list[str] = Field(..., min_items=1)
    #: Poison control or urgent medical advice (something swallowed, an injury).
    medical: list[str] = Field(..., min_items=1)

    @validator("lines", "domestic_violence", "medical", each_item=True)
    def _line_gives_a_number(cls, line: str) -> str:  # noqa: N805
        if not line.strip() or not _has_a_number(line):
            raise ValueError(f"{line!r} must give a number to call or text")
        return line.strip()

    @validator("emergency")
    def _emergency_gives_a_number(cls, emergency: str) -> str:  # noqa: N805
        if not _has_a_number(emergency):
            raise ValueError(f"emergency {emergency!r} must give a number to call")
        return emergency.strip()


class Crisis(BaseModel):
    """Crisis resources by region, and the practice's own note."""

    region: str
    practice_note: str
    regions: dict[str, CrisisRegion]

    def current(self) -> CrisisRegion:
        """The crisis lines of the configured region."""
        return self.regions[self.region]


class Articles(BaseModel):
    """Where article links point."""

    base_url: AnyHttpUrl


class Intake(BaseModel):
    """Intake rules: minimum age, retention, who reviews answers."""

    minimum_age: int = Field(18, ge=0)
    retention: str
    reviewed_by: str = "a clinician at the practice"


#: Channel names ``channels.intake`` accepts: the website chat and each messaging channel
#: (docs/channels.md). Twilio is two: SMS and WhatsApp.
CHANNEL_NAMES = ("website", "telegram", "sms", "whatsapp", "messenger", "slack")


class Channels(BaseModel):
    """What runs on which channel (docs/channels.md).

    Attributes:
        intake: Channels on which the intake form runs; elsewhere a request to book gets
            the website's link and the practice's contact routes. Default: the website.
        website_url: Where the website chat (and so the intake) is, sent to people on
            the other channels; ``contact.booking_url`` when omitted.

    """

    intake: list[str] = Field(default_factory=lambda: ["website"])
    website_url: AnyHttpUrl | None = None

    class Config:
        """A misspelt key must fail loudly, not silently run the intake everywhere."""

        extra = "forbid"

    @validator("intake", pre=True)
    def _known_channels(cls, names: object) -> list[str]:  # noqa: N805
        if not isinstance(names, list):
            raise ValueError(f"channels.intake must be a list, e.g. [website], not {names!r}")
        cleaned: list[str] = []
        for name in names:
            key = str(name).strip().lower()
            if key not in CHANNEL_NAMES:
                raise ValueError(
                    f"{name!r} is not a channel; use some of {', '.join(CHANNEL_NAMES)}"
                )
            if key not in cleaned:
                cleaned.append(key)
        if not cleaned:
            # Elsewhere people are sent to the website's intake: there must be one.
            raise ValueError("channels.intake must name at least one channel, e.g. [website]")
        return cleaned


class Retention(BaseModel):
    """How long data is kept, in days, before ``python -m secure_base.purge`` deletes it.

    Attributes:
        conversations_days: A conversation (every event in Rasa's tracker store) is
            deleted this long after its last message.
        crisis_events_days: A crisis record is deleted this long after it happened.
        submissions_days: An intake submission is deleted this long after it arrived.
        callback_requests_days: A callback request is deleted this long after it arrived.

    """

    conversations_days: int = Field(90, ge=1, le=3650)
    crisis_events_days: int = Field(365, ge=1, le=3650)
    submissions_days: int = Field(365, ge=1, le=3650)
    callback_requests_days: int = Field(90, ge=1, le=3650)

    class Config:
        """A misspelt period must fail loudly, not leave data kept for the default time."""

        extra = "forbid"


class PracticeProfile(BaseModel):
    """The whole practice profile."""

    practice: PracticeInfo
    contact: Contact
    first_session: FirstSession
    fees: Fees
    session_formats: list[SessionFormat] = Field(..., min_items=1)
    licensed_regions: list[str] = Field(default_factory=list)
    confidentiality: str
    crisis: Crisis
    articles: Articles
    intake: Intake
    retention: Retention = Field(default_factory=Retention)
    channels: Channels = Field(default_factory=Channels)
    couples: Couples
    between_sessions: BetweenSessions
    good_faith_estimate: GoodFaithEstimate
    superbill: Superbill

    @validator("crisis")
    def _crisis_region_exists(cls, crisis: Crisis) -> Crisis:  # noqa: N805
        if crisis.region not in crisis.regions:
            raise ValueError(
                f"crisis.region is {crisis.region!r} but crisis.regions only has "
                f"{sorted(crisis.regions)}"
            )
        return crisis

    def format_labels(self) -> dict[str, str]:
        """Session format keys mapped to their labels."""
        return {fmt.key: fmt.label for fmt in self.session_formats}

    def crisis_lines_text(self) -> str:
        """The configured region's crisis lines as a bulleted plain-text list."""
        return "\n".join(f"• {line}" for line in self.crisis.current().lines)

    def crisis_short_line(self) -> str:
        """One short reminder line with the region's crisis numbers."""
        return "If you are not safe right now: " + "; ".join(self.crisis.current().lines) + "."

    def safety_check_in_line(self) -> str:
        """The gentle check-in added to an answer that touched on a crisis topic."""
        return (
            "If any of this is about you right now, you don't have to wait or explain: "
            + "; ".join(self.crisis.current().lines)
            + ". Nobody reads this chat live, but they are there now."
        )

    def website_url(self) -> str:
        """Where the website chat is: ``channels.website_url``, else the booking page."""
        return str(self.channels.website_url or self.contact.booking_url)

    def contact_text(self) -> str:
        """How to reach the practice, in one sentence."""
        c = self.contact
        return (
            f"You can reach {self.practice.name} at {c.email} or {c.phone} "
            f"({c.hours}), or book at {c.booking_url}."
        )


def parse_profile(path: Path) -> PracticeProfile:
    """Reads and validates a profile file.

    Raises:
        ProfileError: When the file is missing, not YAML, or fails validation.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ProfileError(f"Practice profile not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise ProfileError(f"Practice profile {path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ProfileError(f"Practice profile {path} must be a mapping of sections")
    try:
        return PracticeProfile.parse_obj(raw)
    except ValidationError as exc:
        raise ProfileError(f"Practice profile {path} is invalid:\n{exc}") from exc


@lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int) -> PracticeProfile:
    return parse_profile(Path(path))


def load_profile(path: Path | None = None) -> PracticeProfile:
    """Returns the practice profile, re-reading the file whenever it changes on disk."""
    path = path or load_settings().profile_path
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError as exc:
        raise ProfileError(f"Practice profile not found: {path}") from exc
    return _cached(str(path), mtime)
