"""The fixed taxonomy of topic keys (retrieval intents ``faq/<key>``) and their keywords.

The keyword phrases per topic live in ``topic_keywords.yml`` beside this module
(a data table, read once at import) as :data:`TOPIC_KEYWORDS`; the article search
(:mod:`secure_base.catalog.search`) matches free text against them.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ATTACHMENT_KEYS = (
    "what_is_attachment",
    "secure_attachment",
    "insecure_attachment",
    "anxious_attachment",
    "avoidant_attachment",
    "disorganized_attachment",
    "adult_relationship_patterns",
    "feeling_too_much",
    "emotional_regulation",
    "not_broken",
    "can_attachment_change",
    "internal_working_model",
)
THERAPY_KEYS = (
    "how_therapy_helps",
    "therapeutic_relationship",
    "consistency",
    "attunement",
    "therapy_boundaries",
    "co_regulation",
    "secure_base",
    "what_therapy_looks_like",
    "grief_in_therapy",
    "letting_someone_in",
    "naming_feelings",
    "nervous_system_safety",
    "how_long_therapy_takes",
)
EARNED_SECURITY_KEYS = (
    "earned_secure_attachment",
    "trusting_your_needs",
    "boundaries_without_guilt",
    "self_worth",
    "imperfect_childhood",
)
# What clients ask next (issue 16 item 8): content topics answered like the ones above.
NEXT_QUESTION_KEYS = (
    "abuse_or_attachment",
    "attachment_measures",
    "passing_patterns_on",
    "breakups_and_loss",
    "trauma_in_therapy",
    "therapy_approaches",
    "adoption_and_foster_care",
    "culture_and_attachment",
    "neurodivergence_and_attachment",
)
LOGISTICS_KEYS = (
    "first_session",
    "confidentiality",
    "fees_and_insurance",
    "session_formats",
    "practice_contact",
    "couples_work",
    "contact_between_sessions",
    "good_faith_estimate",
    "superbill",
)
TOPIC_KEYS = (
    ATTACHMENT_KEYS + THERAPY_KEYS + EARNED_SECURITY_KEYS + NEXT_QUESTION_KEYS + LOGISTICS_KEYS
)
# Topics that articles must cover and that the assistant offers reading on. Logistics are
# answered from the profile; articles may be tagged with them too (general background
# such as confidentiality or superbills), but reading is not offered after their answers.
CONTENT_TOPIC_KEYS = (
    ATTACHMENT_KEYS + THERAPY_KEYS + EARNED_SECURITY_KEYS + NEXT_QUESTION_KEYS
)

# Pairs people confuse; each has a comparison response utter_compare_<a>__<b>
# with the two keys in this order.
COMPARE_PAIRS = (
    ("anxious_attachment", "avoidant_attachment"),
    ("anxious_attachment", "disorganized_attachment"),
    ("avoidant_attachment", "disorganized_attachment"),
    ("secure_base", "therapeutic_relationship"),
    ("boundaries_without_guilt", "therapy_boundaries"),
    ("earned_secure_attachment", "secure_attachment"),
    ("attunement", "co_regulation"),
    ("co_regulation", "emotional_regulation"),
)

KEYWORDS_FILE = Path(__file__).with_name("topic_keywords.yml")


def load_topic_keywords(path: Path = KEYWORDS_FILE) -> dict[str, tuple[str, ...]]:
    """Read the keyword phrases per topic, in file order.

    Raises:
        ValueError: When a topic's value is not a list of (quoted) phrases.

    """
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    keywords: dict[str, tuple[str, ...]] = {}
    for key, phrases in data.items():
        if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
            raise ValueError(f"{path.name}: {key!r} must be a list of quoted phrases")
        keywords[key] = tuple(phrases)
    return keywords


#: Keyword phrases per topic; the first of each is the topic's canonical phrase.
TOPIC_KEYWORDS = load_topic_keywords()
