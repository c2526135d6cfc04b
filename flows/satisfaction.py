"""The satisfaction survey after a request is resolved: question, buttons, answers.

Pure: builds the question (grades 1-10 and "Liever niet") as a flow ``Reply`` and
reads the buttons' callback data. The texts live in ``texts.toml`` ([survey_*]).

Callback data, parsed here only:
- ``sat:grade:<request_id>:<grade>`` — what the buttons send; the request id says
  which request is graded, as a resident may have had more than one.
- ``sat:grade:<grade>`` — also accepted (request id None: the caller decides which
  request is meant, e.g. the resident's latest resolved one).
- ``sat:optout:<request_id>`` — "Liever niet".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows.conversation import Button, Reply, rows
from flows.texts import Texts

GRADES = tuple(range(1, 11))
GRADE_PATTERN = r"^sat:grade:(?:\d{1,12}:)?(?:[1-9]|10)$"
OPT_OUT_PATTERN = r"^sat:optout:\d{1,12}$"
# One handler can take both: CallbackQueryHandler(survey_answer, pattern=CALLBACK_PATTERN).
CALLBACK_PATTERN = r"^sat:(?:grade:(?:\d{1,12}:)?(?:[1-9]|10)|optout:\d{1,12})$"
_PARSE = re.compile(r"^sat:(?:grade:(?:(\d{1,12}):)?([1-9]|10)|optout:(\d{1,12}))$")


@dataclass(frozen=True)
class SurveyAnswer:
    """A pressed survey button: a grade, or an opt-out (``grade`` None)."""

    request_id: int | None
    grade: int | None

    @property
    def opted_out(self) -> bool:
        """True for "Liever niet"."""
        return self.grade is None


def grade_data(request_id: int, grade: int) -> str:
    """The callback data of a grade button."""
    if grade not in GRADES:
        raise ValueError(f"grade must be 1 to 10, not {grade}")
    return f"sat:grade:{request_id}:{grade}"


def opt_out_data(request_id: int) -> str:
    """The callback data of the "Liever niet" button."""
    return f"sat:optout:{request_id}"


def parse_survey_callback(data: str) -> SurveyAnswer | None:
    """Reads survey callback data; None for anything else (or forged)."""
    match = _PARSE.match(data or "")
    if match is None:
        return None
    request, grade, opted_out = match.groups()
    if opted_out is not None:
        return SurveyAnswer(int(opted_out), None)
    return SurveyAnswer(int(request) if request else None, int(grade))


def survey_question(texts: Texts, *, request_id: int, reference: str, lang: str) -> Reply:
    """The question with grade buttons 1-5 and 6-10 in two rows, then "Liever niet"."""
    grades = [Button(str(g), grade_data(request_id, g)) for g in GRADES]
    opt_out = Button(texts("survey_opt_out_button", lang), opt_out_data(request_id))
    return Reply(
        text=texts("survey_question", lang, reference=reference),
        buttons=(*rows(grades, 5), (opt_out,)),
    )


def survey_answer_text(texts: Texts, *, answer: SurveyAnswer, stored: bool, lang: str) -> str:
    """What the resident reads after pressing: thanks, opted out, or already answered."""
    if not stored:
        return texts("survey_already_answered", lang)
    return texts("survey_opted_out" if answer.opted_out else "survey_thanks", lang)
