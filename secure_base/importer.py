"""A Rasa training-data importer that adds the practice profile to the domain.

Rasa responses are static, yet everything practice-specific (name, contact details,
fees, crisis numbers) must come from ``practice.yml``. This importer renders the Jinja
templates ``data/responses/*.yml.j2`` with the profile and merges the result into the
domain at training time. Because the rendered responses are part of the domain, Rasa's
fingerprinting retrains (only what changed) when the profile is edited, and the crisis
response stays a plain Rasa response that works with the action server down.

It also gives every response a conditional variation for conversations in which a
crisis was detected (slot ``crisis_flag``), which appends a short line with the crisis
numbers: after a crisis, every later answer keeps that line, without any custom code at
serving time. A second variation (slot ``safety_check_in``, true for one turn when a
message mentions a crisis topic without acute risk) appends a gentle check-in instead.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import jinja2
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.structures import StoryGraph
from rasa.shared.importers import utils
from rasa.shared.importers.importer import ResponsesSyncImporter
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.training_data.training_data import TrainingData

from secure_base.crisis import CHECK_IN_SLOT, CRISIS_FLAG_SLOT
from secure_base.profile import PracticeProfile, load_profile
from secure_base.settings import PROJECT_ROOT

TEMPLATE_DIR = PROJECT_ROOT / "data" / "responses"
# Responses that already carry the crisis numbers, or would be noise with them.
NO_REMINDER_PREFIXES = ("utter_crisis", "utter_distress_check_in")
# Parts of a reply that is several messages (an acknowledgement before the answer, one
# card per article after the intro): the reminder goes once, on the answer or the intro.
NO_REMINDER_PREFIXES += ("utter_acknowledge_",)
NO_REMINDER_NAMES = frozenset({"utter_article"})

Responses = Dict[Text, List[Dict[Text, Any]]]


def render_profile_responses(
    profile: PracticeProfile, template_dir: Path = TEMPLATE_DIR
) -> Responses:
    """Renders every ``*.yml.j2`` template in ``template_dir`` with the profile.

    Args:
        profile: The validated practice profile.
        template_dir: Folder of the templates.

    Returns:
        The responses the templates define, by name.

    Raises:
        ValueError: If a template renders to something that is not a response mapping
            or two templates define the same response.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        undefined=jinja2.StrictUndefined,  # a typo in a field name fails loudly
        autoescape=False,  # output is YAML for Rasa, not HTML
        keep_trailing_newline=True,
    )
    env.filters["yaml_str"] = lambda value: yaml.safe_dump(
        str(value), default_flow_style=True, width=10_000, allow_unicode=True
    ).strip().removesuffix("...").strip()
    responses: Responses = {}
    for path in sorted(template_dir.glob("*.yml.j2")):
        rendered = env.get_template(path.name).render(profile=profile, p=profile)
        data = yaml.safe_load(rendered) or {}
        found = data.get("responses") if isinstance(data, dict) else None
        if not isinstance(found, dict):
            raise ValueError(f"{path} must render to a mapping with a 'responses' key")
        for name, variations in found.items():
            if name in responses:
                raise ValueError(f"{path} defines {name!r}, which another template defines")
            responses[name] = variations
    return responses


def with_crisis_reminders(
    responses: Responses, reminder: str, slot: str = CRISIS_FLAG_SLOT
) -> Responses:
    """Adds a copy of each plain variation, conditioned on ``slot``, with a reminder.

    Args:
        responses: Responses by name.
        reminder: The line appended to the text of each copy.
        slot: The boolean slot the copies are conditioned on.

    Returns:
        A new mapping; the input is not changed.
    """
    result: Responses = {}
    condition = [{"type": "slot", "name": slot, "value": True}]
    for name, variations in responses.items():
        result[name] = list(variations)
        if name.startswith(NO_REMINDER_PREFIXES) or name in NO_REMINDER_NAMES:
            continue
        for variation in variations:
            if variation.get("condition") or not variation.get("text"):
                continue
            flagged = copy.deepcopy(variation)
            flagged["text"] = f"{variation['text']}\n\n{reminder}"
            flagged["condition"] = condition
            result[name].append(flagged)
    return result


def with_safety_lines(responses: Responses, profile: PracticeProfile) -> Responses:
    """Both reminder variations: after a crisis, and for a one-turn check-in.

    The second pass copies only the plain variations (it skips conditioned ones), so no
    variation carries both lines.
    """
    flagged = with_crisis_reminders(responses, profile.crisis_short_line())
    return with_crisis_reminders(flagged, profile.safety_check_in_line(), CHECK_IN_SLOT)


class PracticeProfileImporter(RasaFileImporter):
    """``RasaFileImporter`` plus responses rendered from the practice profile."""

    def __init__(
        self,
        config_file: Optional[Text] = None,
        domain_path: Optional[Text] = None,
        training_data_paths: Optional[Text] = None,
        profile_path: Optional[Text] = None,
    ) -> None:
        """Creates the importer (the profile is read lazily, on first use)."""
        super().__init__(config_file, domain_path, training_data_paths)
        self._profile_path = Path(profile_path) if profile_path else None
        self._domain_dict: Optional[Dict[Text, Any]] = None
        self._nlu: Dict[Optional[Text], TrainingData] = {}

    def _profile(self) -> PracticeProfile:
        return load_profile(self._profile_path)

    def get_domain(self) -> Domain:
        """The domain file's content plus the rendered, reminder-carrying responses."""
        if self._domain_dict is None:
            profile = self._profile()
            base = super().get_domain()
            rendered = render_profile_responses(profile)
            clashes = sorted(set(rendered) & set(base.responses))
            if clashes:
                raise ValueError(f"Responses defined both in domain and templates: {clashes}")
            responses = with_safety_lines({**base.responses, **rendered}, profile)
            merged = base.as_dict()
            merged["responses"] = responses
            self._domain_dict = copy.deepcopy(merged)
        # A fresh object each time: Rasa's Domain.merge changes the domain it is called on.
        return Domain.from_dict(copy.deepcopy(self._domain_dict))

    def _domain_for_stories(self) -> Domain:
        # Stories name the retrieval intent `faq`, which Rasa adds to the domain only
        # after this importer (ResponsesSyncImporter); reading stories against the
        # domain without it would flag `faq` as unknown.
        nlu = self.get_nlu_data()
        retrieval = ResponsesSyncImporter._get_domain_with_retrieval_intents(
            nlu.retrieval_intents, nlu.responses, self.get_domain()
        )
        return self.get_domain().merge(retrieval)

    def get_stories(self, exclusion_percentage: Optional[int] = None) -> StoryGraph:
        """Training stories and rules, read against the domain with retrieval intents."""
        return utils.story_graph_from_paths(
            self._story_files, self._domain_for_stories(), exclusion_percentage
        )

    def get_conversation_tests(self) -> StoryGraph:
        """Conversation tests, read against the domain with retrieval intents."""
        return utils.story_graph_from_paths(
            self._conversation_test_files, self._domain_for_stories()
        )

    def get_nlu_data(self, language: Optional[Text] = "en") -> TrainingData:
        """NLU data whose responses (FAQ answers) also get the crisis reminder."""
        if language not in self._nlu:
            data = super().get_nlu_data(language)
            data.responses = with_safety_lines(data.responses, self._profile())
            self._nlu[language] = data
        return self._nlu[language]
