"""A dialogue policy that answers a crisis first, whatever else is going on.

Rasa's RulePolicy lets an active form run before any rule, and a form needs the action
server to validate its slots. A person in crisis must not depend on either. This
policy outranks every other one (including a form's happy path): when the latest user
message is a ``crisis`` intent, it deactivates any active form and predicts the static
crisis response, then the recording action, then listens. Nothing here is learned, so
it behaves the same on every model and at any model confidence.

The crisis response asks whether the person is safe right now, so the policy also owns
the turn that answers it (:func:`follow_up_plan`): "yes" / "I'm safe" is acknowledged
(numbers repeated briefly, an offer to go on); "no" gets the emergency guidance again;
a wish to continue an interrupted intake is answered explicitly (it resumes once they say
they are safe); a clear question about attachment or the practice gets one safety line
(are you safe? the numbers), then its answer; anything else asks again, so the turn after
a crisis response is never small talk or "that's outside what I can help with".
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.core.policies.policy import Policy, PolicyPrediction, confidence_scores_for
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from secure_base.crisis import (
    ANSWER_QUESTION_ACTION,
    CLASSIFIER_LAYER,
    CRISIS_INTENT,
    CRISIS_RECORD_ACTION,
    CRISIS_RESPONSE,
    FOLLOW_UP_CONTINUE,
    FOLLOW_UP_QUESTION,
    FOLLOW_UP_SAFE,
    FOLLOW_UP_SAFE_CONTINUE,
    FOLLOW_UP_UNCLEAR,
    FOLLOW_UP_UNSAFE,
    INTENT_RANKING_RULE,
    QUESTION_INTENT,
    RISK_CLASSIFIER_LAYER,
    SAFE_INTENT,
    SAFETY_NET_PROPERTY,
    TOP_INTENT_RULE,
)
from secure_base.crisis.reassurances import is_reassurance

# The safety net's layers whose crisis a plain reassurance may set aside (never the
# curated rules' "patterns" layer), and the names those layers give when no curated rule
# matched; see secure_base/nlu/crisis_safety_net.py.
_CLASSIFIER_LAYERS = (RISK_CLASSIFIER_LAYER, CLASSIFIER_LAYER)
_NO_CURATED_RULE = (None, TOP_INTENT_RULE, INTENT_RANKING_RULE)

# The fixed sequence that answers a crisis message.
CRISIS_SEQUENCE = (CRISIS_RESPONSE, CRISIS_RECORD_ACTION, ACTION_LISTEN_NAME)
# Actions the processor runs on its own after a user message; they are not part of
# the sequence above.
_IGNORED_ACTIONS = {"action_extract_slots"}
# Intents that answer "are you safe right now?" with yes, and with no; the intent that
# asks to continue the intake; the form it resumes.
_YES_INTENTS = {"affirm", SAFE_INTENT}
_NO_INTENTS = {"deny"}
_CONTINUE_INTENTS = {"start_intake"}
# Requests the person is entitled to at any time, also right after a crisis response:
# they are answered normally (and every answer then carries the crisis line).
# Asking for a person gets the handoff, whose text leads with the crisis lines' urgency.
_PASS_THROUGH_INTENTS = {"delete_my_data", "talk_to_human"}
INTAKE_FORM = "intake_form"
# The bot's last step before the person's message, when that message answers a safety
# question: the crisis response itself, or a follow-up that asked again.
_AFTER_CRISIS = {CRISIS_RESPONSE, CRISIS_RECORD_ACTION}


def last_bot_action(tracker: DialogueStateTracker) -> Optional[Text]:
    """The last action run before the latest user message (``action_listen`` skipped)."""
    seen_user = False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            if seen_user:
                return None  # two user messages in a row: nothing answered in between
            seen_user = True
            continue
        if seen_user and isinstance(event, ActionExecuted) and event.action_name and (
            event.action_name not in _IGNORED_ACTIONS | {ACTION_LISTEN_NAME}
        ):
            return event.action_name
    return None


#: "Yes, I'm safe" is taken only when the NLU is this sure; an unsure yes ("hmm") is asked
#: again, since taking it would end the safety follow-up.
SAFE_ANSWER_MIN_CONFIDENCE = 0.7


def _answer_kind(intent: Optional[Text], confidence: float = 1.0) -> Text:
    if intent in _YES_INTENTS:
        return "yes" if confidence >= SAFE_ANSWER_MIN_CONFIDENCE else "other"
    if intent in _NO_INTENTS:
        return "no"
    if intent in _CONTINUE_INTENTS:
        return "continue"
    if intent == QUESTION_INTENT:
        return "question"
    return "other"


_LISTEN = ACTION_LISTEN_NAME
_SAFE = (FOLLOW_UP_SAFE, _LISTEN)
_UNSAFE = (FOLLOW_UP_UNSAFE, _LISTEN)
_CONTINUE = (FOLLOW_UP_CONTINUE, _LISTEN)
# The safety line, then the answer (a misread message must not lose its answer; someone
# at risk still gets asked and given the numbers first).
_QUESTION = (FOLLOW_UP_QUESTION, ANSWER_QUESTION_ACTION, _LISTEN)
#: What answers a message, by the bot's previous step and the kind of answer. A kind that
#: is missing means "not a follow-up turn": the other policies answer it.
_FOLLOW_UPS: Dict[Text, Dict[Text, Tuple[Text, ...]]] = {
    # The crisis response asked "are you safe right now?": every answer is followed up.
    **{step: {"yes": _SAFE, "no": _UNSAFE, "continue": _CONTINUE, "question": _QUESTION,
              "other": (FOLLOW_UP_UNCLEAR, _LISTEN)} for step in _AFTER_CRISIS},
    # "Can we continue?" was answered with "are you safe?": safe resumes the intake.
    FOLLOW_UP_CONTINUE: {"yes": (FOLLOW_UP_SAFE_CONTINUE, INTAKE_FORM), "no": _UNSAFE},
    # Asked twice: anything but yes / no / continue goes on normally (every answer keeps
    # the crisis line).
    FOLLOW_UP_UNCLEAR: {"yes": _SAFE, "no": _UNSAFE, "continue": _CONTINUE},
    # After the emergency guidance, "no" again gets it again.
    FOLLOW_UP_UNSAFE: {"yes": _SAFE, "no": _UNSAFE},
}


def follow_up_plan(previous: Optional[Text], intent: Optional[Text],
                   confidence: float = 1.0) -> Optional[Tuple[Text, ...]]:
    """The actions that answer a message following a crisis response, or ``None``.

    Args:
        previous: The bot's last action before the message (:func:`last_bot_action`).
        intent: The message's intent.
        confidence: The intent's confidence (an unsure "yes" is not taken as safe).

    Returns:
        The actions to run, in order (``None``: not a follow-up turn).
    """
    if intent == CRISIS_INTENT or intent in _PASS_THROUGH_INTENTS or previous not in _FOLLOW_UPS:
        return None  # a new crisis gets the crisis sequence; no question was open
    return _FOLLOW_UPS[previous].get(_answer_kind(intent, confidence))


def reassures_without_rule(parse_data: Dict[Text, Any]) -> bool:
    """Whether a crisis-flagged reply is a plain reassurance that no crisis rule matched.

    The safety net's decision (``crisis_safety_net``) names the curated rule when one
    matched; only the classifiers' reading of a reassurance such as "I'm not going to
    hurt myself" is set aside (:mod:`secure_base.crisis.reassurances`).
    """
    decision = parse_data.get(SAFETY_NET_PROPERTY) or {}
    if decision.get("rule") not in _NO_CURATED_RULE:
        return False
    if decision.get("layer") not in _CLASSIFIER_LAYERS:
        return False
    return is_reassurance(str(parse_data.get("text") or ""))


def actions_since_last_user_message(tracker: DialogueStateTracker) -> List[Text]:
    """Names of the actions run since the latest user message, oldest first."""
    names: List[Text] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, ActionExecuted) and event.action_name:
            if event.action_name not in _IGNORED_ACTIONS:
                names.append(event.action_name)
    return list(reversed(names))


def next_crisis_action(tracker: DialogueStateTracker) -> Optional[Text]:
    """The next action of the crisis sequence or of its follow-up, or ``None``."""
    latest = tracker.latest_message
    if latest is None:
        return None
    intent = latest.intent.get("name")
    if intent == CRISIS_INTENT:
        plan: Optional[Tuple[Text, ...]] = CRISIS_SEQUENCE
        previous = last_bot_action(tracker)
        if previous in _FOLLOW_UPS and reassures_without_rule(latest.parse_data):
            # "Please don't worry, I'm not going to do anything": "yes, I'm safe".
            plan = _FOLLOW_UPS[previous].get("yes") or CRISIS_SEQUENCE
    else:
        confidence = float(latest.intent.get("confidence") or 0.0)
        plan = follow_up_plan(last_bot_action(tracker), intent, confidence)
    if plan is None:
        return None
    done = actions_since_last_user_message(tracker)
    if tuple(done) != plan[: len(done)] or len(done) >= len(plan):
        return None  # someone else already took over this turn, or the plan is done
    return plan[len(done)]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False
)
class CrisisPolicy(Policy):
    """Deterministic, highest-priority handling of the ``crisis`` intent."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Outranks RulePolicy (priority 6) so it also beats an active form."""
        return {"priority": 7}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        """Creates the policy; it has no featurizer and nothing to train."""
        super().__init__(config, model_storage, resource, execution_context, featurizer)

    def train(
        self,
        training_trackers: List[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        """Nothing to learn: the behaviour is fixed."""
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Predicts the next step of the crisis sequence with certainty, or nothing."""
        action = next_crisis_action(tracker)
        if action is None:
            return self._prediction(self._default_predictions(domain))
        optional_events = []
        if action == CRISIS_SEQUENCE[0] and tracker.active_loop_name:
            # Leave the form; its answers stay in their slots so it can resume later.
            optional_events = [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
        return self._prediction(
            confidence_scores_for(action, 1.0, domain),
            optional_events=optional_events,
            # Competes with (and outranks) a form's happy-path prediction.
            is_no_user_prediction=True,
        )
