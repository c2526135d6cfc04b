"""Triage: which category, urgency and kind a resident's message most likely has.

Pure Python (no Telegram, no network, no model download)::

    from flows.triage import Classifier
    clf = Classifier(config)          # once; compiles flows/<line>/triage.toml
    result = clf.classify(text)       # never raises; fast enough for every message
"""

from flows.triage.classifier import Classifier
from flows.triage.model import installed_model
from flows.triage.result import Classification, Scored

__all__ = ["Classification", "Classifier", "Scored", "installed_model"]
