"""The fixed taxonomy of topic keys (retrieval intents ``faq/<key>``)."""

from __future__ import annotations

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
LOGISTICS_KEYS = (
    "first_session",
    "confidentiality",
    "fees_and_insurance",
    "session_formats",
    "practice_contact",
)
TOPIC_KEYS = ATTACHMENT_KEYS + THERAPY_KEYS + EARNED_SECURITY_KEYS + LOGISTICS_KEYS
# Topics that articles must cover (logistics are answered from the profile instead).
CONTENT_TOPIC_KEYS = ATTACHMENT_KEYS + THERAPY_KEYS + EARNED_SECURITY_KEYS

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
)
