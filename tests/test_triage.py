"""The triage classifier: categories, crisis detection, negation, kinds and bad input.

Most tests ask the whole classifier (rules and model). Tests of the rules' own mechanics
(alternatives as shares of rule evidence, negation, the "overig" fallback) ask the rules
alone, as a line without a model would.
"""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.config import load_config
from flows.triage import Classification, Classifier, Scored
from flows.triage.model import Prediction

CONFIG = load_config()


@cache
def classifier() -> Classifier:
    """One classifier for the whole module (building it loads the lemma dictionaries)."""
    return Classifier(CONFIG)


def classify(text: str) -> Classification:
    return classifier().classify(text)


@cache
def rules_only() -> Classifier:
    return Classifier(CONFIG, model=None)


def by_rules(text: str) -> Classification:
    return rules_only().classify(text)


def assert_valid(result: Classification) -> None:
    """Every result, for any input, has this shape."""
    assert result.category in CONFIG.categories
    assert result.urgency in ("normal", "urgent", "crisis")
    assert result.kind in ("hulpvraag", "aanbod", "informatie", "signaal", "follow_up")
    assert result.queue == CONFIG.categories[result.category].queue
    assert 1 <= len(result.alternatives) <= 3
    assert result.alternatives[0].category == result.category
    assert all(isinstance(a, Scored) and 0.0 <= a.score <= 1.0 for a in result.alternatives)
    assert len({a.category for a in result.alternatives}) == len(result.alternatives)
    assert result.crisis in (None, "acute", "suicide", "domestic_violence")
    if result.urgency == "normal":
        assert result.crisis is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("kan iemand boodschappen voor mij doen", "boodschappen"),
        ("wie haalt mijn medicijnen op bij de apotheek", "medicijnen"),
        ("mijn hond moet uitgelaten worden", "huisdier"),
        ("ik heb vervoer nodig naar het ziekenhuis", "vervoer"),
        ("mijn gras moet gemaaid worden", "klussen"),
        ("ik kan niet meer koken, wie brengt een maaltijd", "maaltijd"),
        ("ik heb schulden en kan de huur niet betalen", "geldzaken"),
        ("ik snap de brief van de belastingdienst niet", "formulieren"),
        ("ik ben mantelzorger en ik ben op", "mantelzorg"),
        ("ik voel me zo somber en angstig", "psychisch"),
        ("ik heb een rollator nodig", "zorg"),
        ("de buren maken elke nacht herrie", "wonen_buren"),
        ("mijn puber spijbelt steeds", "opvoeding"),
        ("mijn man slaat me", "huiselijk_geweld"),
        ("ik wil graag helpen als vrijwilliger", "hulpaanbod"),
        ("ik zou graag een praatje maken", "praatje"),
        ("ik ben zo eenzaam", "eenzaamheid"),
        ("wat zijn jullie openingstijden", "overig"),
        ("I need someone to do my grocery shopping", "boodschappen"),
        ("could someone walk my dog", "huisdier"),
        ("boodschapen doen lukt niet", "boodschappen"),  # typo
        ("BOODSCHAPPPEN!!!", "boodschappen"),  # repeated letters, capitals
        ("medisijnen ophalen", "medicijnen"),  # typo
    ],
)
def test_category_of_plain_messages(text: str, category: str) -> None:
    result = classify(text)
    assert_valid(result)
    assert result.category == category


def test_every_category_has_triage_terms() -> None:
    terms = classifier()._rules.terms
    covered = {term.category for term in terms}
    assert set(CONFIG.categories) - covered == {"overig"}


def test_queue_is_category_default_or_village() -> None:
    assert classify("kan iemand boodschappen voor mij doen").queue == "vrijwilligers"
    assert classify("ik heb schulden").queue is None  # the wijkteam of the village


def test_alternatives_best_first_and_chosen_first() -> None:
    result = by_rules("ik heb hulp nodig met boodschappen en de hond uitlaten en de tuin")
    scores = [a.score for a in result.alternatives]
    assert len(result.alternatives) == 3
    assert scores == sorted(scores, reverse=True)
    assert {a.category for a in result.alternatives} == {"boodschappen", "huisdier", "klussen"}


def test_emphasis_picks_the_main_need() -> None:
    text = "de hond uitlaten zou fijn zijn, maar vooral de boodschappen"
    assert classify(text).category == "boodschappen"


# --- Crisis ------------------------------------------------------------------

CRISIS = [
    ("ik wil niet meer leven", "suicide", "psychisch"),
    ("ik wil er een einde aan maken", "suicide", "psychisch"),
    ("Ik heb besloten dat ik er morgen niet meer ben", "suicide", "psychisch"),
    ("ik wil gewoon niet meer wakker worden", "suicide", "psychisch"),
    ("zelfmoort", "suicide", "psychisch"),  # typo
    ("ik denk steeds aan zelfdoding", "suicide", "psychisch"),
    ("I'm going to end it tonight", "suicide", "psychisch"),
    ("i want to die", "suicide", "psychisch"),
    ("I have been cutting myself again", "suicide", "psychisch"),
    ("ik heb een mes op mijn pols gezet", "suicide", "psychisch"),
    ("ik heb alle pillen ingenomen die ik had", "acute", "psychisch"),
    ("mijn vader is van de trap gevallen en bloedt uit zijn hoofd", "acute", "zorg"),
    ("oma is gevallen en komt niet meer overeind", "acute", "zorg"),
    ("my neighbour collapsed in the street", "acute", "zorg"),
    ("mijn man is niet wakker te krijgen", "acute", "zorg"),
    ("hij krijgt geen adem meer", "acute", "zorg"),
    ("my husband has chest pains and is sweating", "acute", "zorg"),
    ("Mijn man heeft sinds een uur pijn op de borst", "acute", "zorg"),
    ("I think my dad just had a stroke", "acute", "zorg"),
    ("mijn vrouw praat ineens heel raar en haar mond hangt scheef", "acute", "zorg"),
    ("mijn buurjongen heeft een overdosis genomen", "acute", "zorg"),
    ("hij slaat me nu, help", "acute", "huiselijk_geweld"),
    ("mijn ex staat met een mes voor de deur", "acute", "huiselijk_geweld"),
    ("my husband says he will kill me tonight", "acute", "huiselijk_geweld"),
    ("er is brand in mijn huis", "acute", "wonen_buren"),
]
URGENT = [
    "mijn man mishandelt me al jaren",
    "mijn zoon bedreigt me als hij geld wil",
    "my partner hits me when he's angry",
    "mijn ex stalkt me",
    "ik ben bang voor mijn man, hij is vaak agressief",
    "my son pushes me around and takes my money",
]
HARMLESS = [
    "ik val bijna om van de prijzen",
    "mijn hond is dood gegaan vorig jaar en ik mis hem",
    "ik ben doodmoe van de formulieren",
    "ik lach me dood om die formulieren",
    "mijn telefoon is dood, kan iemand helpen",
    "the gas bill is killing me",
    "mijn moeder is vorig jaar gevallen en heeft nu een rollator nodig",
    "ik verveel me dood",
    "I could murder a cup of tea, fancy a chat?",
    "de hond is doodsbang voor vuurwerk",
    "wie kan mijn messen slijpen",
    "het mes van de grasmaaier is bot",
    "na mijn hartaanval vorig jaar mag ik niet meer rijden",
    "I can't cook since my stroke",
    "brandend maagzuur, kan iemand mijn medicijnen halen",
    "de verhuurder reageert niet op mijn mails",
    "zorgen voor mijn man slaat me helemaal plat",
    "mijn dochter zegt dat ze me vermoordt als ik haar telefoon afpak, haha pubers",
    "I'm not suicidal, just feeling down",
]


@pytest.mark.parametrize(("text", "line", "category"), CRISIS)
def test_crisis_is_detected_with_line_and_fitting_category(
    text: str, line: str, category: str
) -> None:
    result = classify(text)
    assert_valid(result)
    assert (result.urgency, result.crisis, result.risk) == ("crisis", line, "high")
    assert by_rules(text).category == category


@pytest.mark.parametrize("text", URGENT)
def test_domestic_violence_not_acute_is_urgent_with_veilig_thuis(text: str) -> None:
    result = classify(text)
    assert (result.urgency, result.crisis, result.category) == (
        "urgent",
        "domestic_violence",
        "huiselijk_geweld",
    )


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("mijn vriend slaat me en dreigt met een mes, ik ben bang", ("acute", "domestic_violence")),
        ("mijn man slaat mij soms", ("domestic_violence",)),
        ("ik wil niet meer leven", ("suicide",)),
        ("er brandt iets in de keuken", ("acute",)),
        ("er komen vlammen uit de pan", ("acute",)),
        ("ik zoek hulp met boodschappen", ()),
    ],
)
def test_every_safety_line_that_applies_is_named_most_severe_first(
    text: str, lines: tuple[str, ...]
) -> None:
    result = classify(text)
    assert result.lines == lines
    assert result.crisis == (lines[0] if lines else None)


@pytest.mark.parametrize("text", HARMLESS)
def test_scary_words_used_harmlessly_are_not_a_crisis(text: str) -> None:
    assert classify(text).urgency != "crisis"


def test_crisis_in_a_long_message_is_not_hidden() -> None:
    filler = "Ik woon in Drunen en de tuin is een puinhoop sinds de storm. " * 40
    result = classify(filler + "Eerlijk gezegd wil ik niet meer leven.")
    assert result.urgency == "crisis"
    assert result.crisis == "suicide"


# --- Negation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("ik heb geen hulp nodig met boodschappen, maar wel met de tuin", "klussen"),
        ("I don't need groceries, I need someone to walk my dog", "huisdier"),
        ("ik ben niet eenzaam hoor, ik wil gewoon een praatje", "praatje"),
        ("niet voor de medicijnen, maar wie kookt er voor mij", "maaltijd"),
        ("I'm not lonely, I just need a lift to the dentist", "vervoer"),
    ],
)
def test_negated_words_do_not_count(text: str, category: str) -> None:
    assert by_rules(text).category == category


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        ("ik heb geen eten meer in huis", {"maaltijd", "boodschappen"}),
        ("ik kan niet meer zelf koken", {"maaltijd"}),
        ("ik kan de boodschappen niet meer zelf doen", {"boodschappen"}),
        ("I can't walk the dog anymore", {"huisdier"}),
    ],
)
def test_inability_or_lack_is_the_need_not_a_negation(text: str, categories: set[str]) -> None:
    assert classify(text).category in categories


def test_a_crisis_rule_is_never_silenced_by_the_model() -> None:
    # "Years ago" makes the model doubt; the rule still makes the line ask.
    result = classify("I had suicidal thoughts a few years ago, I'm doing fine now")
    assert result.risk in ("possible", "high")
    assert result.crisis == "suicide"


@pytest.mark.parametrize(
    "text", ["niemand zou me missen", "tot last", "nobody would even notice if I was gone"]
)
def test_an_indirect_sign_alone_is_at_least_asked_about(text: str) -> None:
    result = classify(text)
    assert result.risk in ("possible", "high")
    assert result.crisis == "suicide"


def test_a_sign_the_model_finds_very_unlikely_a_crisis_is_not_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    classifier = Classifier(CONFIG)
    assert classifier.model is not None
    calm = Prediction(classifier.model.categories, [1 / 18] * 18, [0.99, 0.0, 0.005, 0.005])
    monkeypatch.setattr(classifier.model, "predict", lambda *args, **kwargs: calm)
    assert classifier.classify("niemand zou me missen").risk == "none"


def test_negation_never_cancels_a_crisis_phrase() -> None:
    assert classify("ik wil niet meer leven").urgency == "crisis"
    assert classify("I don't want to live anymore").urgency == "crisis"


# --- Kind ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ik wil graag helpen als vrijwilliger", "aanbod"),
        ("I'd like to volunteer, I have a car", "aanbod"),
        ("Ik maak me zorgen om mijn buurvrouw, ze komt niet meer buiten", "signaal"),
        ("mijn buurman krijgt nooit bezoek en zit altijd alleen", "signaal"),
        ("Any news about HH-2026-00123?", "follow_up"),
        ("ik heb vorige week gebeld maar nog niks gehoord", "follow_up"),
        ("Wat zijn jullie openingstijden?", "informatie"),
        ("kan iemand mijn boodschappen doen", "hulpvraag"),
        ("Ik kan boodschappen doen voor ouderen, hoe meld ik me aan?", "aanbod"),
        ("Zou er een vrijwilliger mijn hond willen uitlaten?", "hulpvraag"),
    ],
)
def test_kind(text: str, kind: str) -> None:
    assert classify(text).kind == kind


def test_offer_goes_to_the_offer_queue() -> None:
    result = classify("ik wil graag helpen als vrijwilliger")
    assert (result.category, result.queue) == ("hulpaanbod", "aanbod")


# --- Bad input -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\n\n\t",
        "😀😀😀🙏",
        "🆘",
        "x" * 4096,
        "boodschappen " * 400,
        "a" * 100_000,
        "Привет, мне нужна помощь с покупками",
        "مرحبا أحتاج مساعدة",
        "我需要帮助 boodschappen",
        "\x00\x01\x02\x1b[31mrood\x7f",
        "'; DROP TABLE request; --",
        "<script>alert('hi')</script><b>help</b>",
        "\u200b\u200d\ufeff",
        "\ud800",  # a lone surrogate, as broken clients sometimes send
        "?!?!?!.,;:",
        "0612345678",
        "HH-2026-00001",
    ],
)
def test_bad_input_gives_a_valid_result(text: str) -> None:
    assert_valid(classify(text))


def test_nothing_recognisable_is_overig() -> None:
    for text in ("", "😀", "asdfghjkl", "12345", "<b></b>"):
        result = by_rules(text)
        assert (result.category, result.urgency) == ("overig", "normal")
        assert result.alternatives == (Scored("overig", 1.0),)
        assert classify(text).risk == "none"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_any_text_gives_a_valid_result(text: str) -> None:
    assert_valid(classify(text))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "ik",
                "wil",
                "niet",
                "geen",
                "meer",
                "leven",
                "boodschappen",
                "hond",
                "maar",
                "nodig",
                "mes",
                "gevallen",
                "nu",
                "😀",
                ",",
                ".",
                "dood",
                "not",
                "don't",
                "HH",
            ]
        ),
        max_size=30,
    )
)
def test_any_mix_of_rule_words_gives_a_valid_result(words: list[str]) -> None:
    assert_valid(classify(" ".join(words)))


def test_explain_names_the_matched_terms() -> None:
    lines = classifier().explain("ik heb geen boodschappen nodig, wel een hond")
    assert ("boodschap*", "boodschappen", 0.0) in lines  # negated
    assert any(term == "hond*" and weight > 0 for term, _, weight in lines)
