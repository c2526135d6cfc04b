"""Where a finished intake goes, decided by the flows alone (``flows.submission``)."""

from __future__ import annotations

import pytest

from flows.config import load_config
from flows.submission import resolve

CONFIG = load_config()


def test_no_category_is_overig_and_an_unknown_village_is_none() -> None:
    done = resolve(
        CONFIG, category=None, urgency="normal", village="Atlantis", contact_preference="chat"
    )
    assert (done.category, done.village, done.contact_preference) == ("overig", None, "chat")


def test_the_categorys_own_urgency_raises_but_never_lowers() -> None:
    violence = resolve(
        CONFIG, category="huiselijk_geweld", urgency="normal", village="drunen",
        contact_preference="chat",
    )  # fmt: skip
    assert violence.urgency == "urgent"
    crisis = resolve(
        CONFIG, category="huiselijk_geweld", urgency="crisis", village="drunen",
        contact_preference="chat",
    )  # fmt: skip
    assert crisis.urgency == "crisis"


@pytest.mark.parametrize("category", sorted(CONFIG.categories))
def test_every_category_goes_to_a_configured_queue(category: str) -> None:
    done = resolve(
        CONFIG, category=category, urgency="normal", village="vlijmen", contact_preference="chat"
    )
    assert done.queue in CONFIG.queues
    assert done.village == "vlijmen"
