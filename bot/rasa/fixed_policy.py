"""The shared part of our Rasa policies that decide by plain Python rules instead of learning."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.core.policies.policy import Policy
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates


class FixedPolicy(Policy):
    """Nothing to learn: training only records that the policy exists. Subclasses set their default
    priority (config.yml may override it) and implement `predict_action_probabilities`."""

    DEFAULT_PRIORITY = 7

    @classmethod
    def get_default_config(cls) -> Dict[Text, Any]:
        return {"priority": cls.DEFAULT_PRIORITY}

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        with self._model_storage.write_to(self._resource) as path:
            (path / f"{type(self).__name__}.txt").write_text("no parameters\n", encoding="utf-8")
        return self._resource
