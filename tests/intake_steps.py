"""How to bring a resident's intake to each of its steps, for tests through the real app."""

from __future__ import annotations

from helpline.scripted import ScriptedChat

QUESTION = "Ik krijg brieven van de belasting en snap het formulier niet"

# How to bring Mia's intake to each step (the presses/texts after /start).
TO_STEP: dict[str, list[tuple[str, str]]] = {
    "consent": [],
    "question": [("press", "akkoord")],
    "confirm_category": [("press", "akkoord"), ("say", QUESTION)],
    "pick_alternative": [("press", "akkoord"), ("say", QUESTION), ("press", "Iets anders")],
    "pick_category": [
        ("press", "akkoord"),
        ("say", QUESTION),
        ("press", "Iets anders"),
        ("press", "Andere keuze"),
    ],
    "village": [("press", "akkoord"), ("say", QUESTION), ("press", "Ja")],
    "contact": [("press", "akkoord"), ("say", QUESTION), ("press", "Ja"), ("press", "Drunen")],
    "time": [
        ("press", "akkoord"),
        ("say", QUESTION),
        ("press", "Ja"),
        ("press", "Drunen"),
        ("say", "0612345678"),
    ],
    "summary": [
        ("press", "akkoord"),
        ("say", QUESTION),
        ("press", "Ja"),
        ("press", "Drunen"),
        ("say", "0612345678"),
        ("press", "Ochtend"),
    ],
}


async def walk(chat: ScriptedChat, steps: list[tuple[str, str]]) -> None:
    await chat.say("/start")
    for kind, arg in steps:
        await (chat.press(arg) if kind == "press" else chat.say(arg))
