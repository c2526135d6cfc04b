"""A coordinator closes a telefooncirkel alert: what was done, then a note (or none).

``cal:do:<alert>:<action>`` stores the action and asks, through the outbox, for a note
in the coordinator's private chat; the typed note (``call_prompts.answer_prompt``) or
``cal:nonote:<alert>`` closes it, once. Only coordinators and admins may, checked in
the transaction that acts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from flows.calls import callbacks as cb
from flows.conversation import Button, markup_json
from helpline.cases import calls as callwork
from helpline.cases.access import actor_for
from helpline.cases.answers import Popup
from helpline.cases.circle import close_alert
from helpline.cases.core import Services
from storage import repository as repo


@dataclass(frozen=True)
class Notice:
    """A press answered by a short notice (not a popup): the pressed message stays."""

    text: str


async def alert_press(
    session: AsyncSession,
    services: Services,
    user_id: int,
    alert_id: int | None,
    step: str,
    value: str,
) -> str | Notice | Popup:
    """The press ``cal:<step>:<alert_id>[:<value>]`` by Telegram account ``user_id``.

    ``do`` stores the action ``value`` and asks for a note in the presser's private
    chat (a notice points there); ``nonote`` closes the alert without a note and returns
    the closing text the pressed message is edited to. A refusal (not a coordinator,
    ``alert_id`` None for unreadable data), an alert closed already, or a press that
    does not fit is a popup.
    """
    t, lang = services.texts, services.staff_language
    actor = await actor_for(session, user_id)
    alert = (
        await repo.get_alert(session=session, alert_id=alert_id) if alert_id is not None else None
    )
    if actor is None or alert_id is None or not actor.may("close_call_alert"):
        return Popup(t("circle_not_coordinator", lang))
    if alert is None or alert.status != "open":
        return Popup(t("circle_already_closed", lang))
    if step == "do" and value in callwork.call_config(services).alert_actions:
        alert.action = value
        await repo.set_prompt(
            session=session,
            staff_id=actor.id,
            kind="alert_note",
            target_id=alert.id or 0,
            now=services.clock(),
        )
        label = t(f"circle_action_{value}", lang)
        skip = ((Button(t("btn_circle_nonote", lang), cb.data("cal", "nonote", alert.id)),),)
        await repo.enqueue(
            session=session,
            now=services.clock(),
            chat_id=actor.staff.telegram_user_id,
            purpose="circle_note",
            text=t("circle_ask_note", lang, action=label),
            reply_markup=markup_json(skip),
        )
        return Notice(t("circle_see_private", lang))
    if step == "nonote" and alert.action:
        return await close_alert(session, services, actor, alert.id or 0, None)
    return Popup(t("claim_gone", lang))
