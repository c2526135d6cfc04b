"""The opening every staff handler shares: who typed or pressed, the services, the texts.

A turn only gathers what the update carries. Who the sender is to the helpline (staff,
role, relation to a request) is decided by the handler itself, inside the transaction
that acts on it (``actor_for`` / ``actor.may``), never here.

The decorators ``on_command``, ``on_query`` and ``on_button`` make a handler of a
function that starts from its turn: the update without a message, query or sender (or,
for ``on_button``, with malformed data) never reaches it, and PTB still calls the
result with ``(update, context)``.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, Chat, Message, Update, User

from flows.conversation import Callback, parse_callback
from flows.texts import Texts
from helpline.cases.access import Actor, actor_for
from helpline.cases.core import Services
from helpline.safe_send import answer_query
from helpline.services import HelplineContext

# What PTB registers and calls: a coroutine function of ``(update, context)``.
Handler = Callable[[Update, HelplineContext], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class StaffTurn:
    """One update of a staff member: the services, the staff texts and language, the sender."""

    services: Services
    t: Texts
    lang: str
    user: User


@dataclass(frozen=True)
class CommandTurn(StaffTurn):
    """A typed command, with the message to reply to."""

    message: Message

    @property
    def chat(self) -> Chat:
        """The chat the command was typed in."""
        return self.message.chat

    async def reply(self, key: str, **values: object) -> None:
        """Replies with the staff text ``key``."""
        await self.message.reply_text(self.t(key, self.lang, **values))

    async def actor(
        self, session: AsyncSession, may: str | None = None, *, refusal: str = "leads_only"
    ) -> Actor | None:
        """The staff member who typed, read in this transaction and allowed ``may``
        (when given); None after telling the sender why not (``not_staff_command`` for
        everyone who is not staff, ``refusal`` for staff without the permission)."""
        actor = await actor_for(session, self.user.id)
        if actor is None:
            await self.reply("not_staff_command")
        elif may is not None and not actor.may(may):
            await self.reply(refusal)
        else:
            return actor
        return None


@dataclass(frozen=True)
class ButtonTurn(StaffTurn):
    """A button press, with the query to answer."""

    query: CallbackQuery

    @property
    def chat(self) -> Chat | None:
        """The chat of the pressed message; None when Telegram no longer says."""
        return self.query.message.chat if self.query.message else None

    async def popup(self, key: str, **values: object) -> None:
        """Answers the press with the staff text ``key`` as a popup."""
        await answer_query(self.query, self.t(key, self.lang, **values), alert=True)

    async def actor(self, session: AsyncSession) -> Actor | None:
        """The staff member who pressed, read in this transaction; None after a popup
        telling anyone else that the button is for staff."""
        actor = await actor_for(session, self.user.id)
        if actor is None:
            await self.popup("claim_not_staff")
        return actor


def _staff(context: HelplineContext) -> tuple[Services, Texts, str]:
    services = context.services
    return services, services.texts, services.staff_language


def command_turn(update: Update, context: HelplineContext) -> CommandTurn | None:
    """The turn of a command; None when the update has no message or no sender."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return None
    return CommandTurn(*_staff(context), user, message)


def query_turn(update: Update, context: HelplineContext) -> ButtonTurn | None:
    """The turn of a press whose data the handler reads itself; None without query or sender."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return None
    return ButtonTurn(*_staff(context), user, query)


async def button_turn(
    update: Update, context: HelplineContext, *, alert: bool = True
) -> tuple[ButtonTurn, Callback] | None:
    """The turn of a press and its ``ns:action:value`` data.

    Malformed or forged data (a handler's pattern lets Unicode digits and a trailing
    newline by) is answered here with ``claim_gone``, as a popup unless ``alert`` is
    False; then, as without a query or sender, the result is None.
    """
    turn = query_turn(update, context)
    if turn is None:
        return None
    parsed = parse_callback(turn.query.data or "")
    if parsed is None:
        await answer_query(turn.query, turn.t("claim_gone", turn.lang), alert=alert)
        return None
    return turn, parsed


# What the decorators below turn into handlers: a function of the turn (and the press).
CommandBody = Callable[[CommandTurn, HelplineContext], Awaitable[None]]
QueryBody = Callable[[ButtonTurn, HelplineContext], Awaitable[None]]
ButtonBody = Callable[[ButtonTurn, Callback, HelplineContext], Awaitable[None]]
TurnT = TypeVar("TurnT", bound=StaffTurn)


def _with_turn(
    make: Callable[[Update, HelplineContext], TurnT | None],
    body: Callable[[TurnT, HelplineContext], Awaitable[None]],
) -> Handler:
    @functools.wraps(body)
    async def handler(update: Update, context: HelplineContext) -> None:
        turn = make(update, context)
        if turn is not None:
            await body(turn, context)

    return handler


def on_command(body: CommandBody) -> Handler:
    """A command handler that runs ``body(turn, context)`` when there is a ``command_turn``."""
    return _with_turn(command_turn, body)


def on_query(body: QueryBody) -> Handler:
    """A button handler that runs ``body(turn, context)`` when there is a ``query_turn``;
    the handler reads the query's data itself."""
    return _with_turn(query_turn, body)


def on_button(*, alert: bool = True) -> Callable[[ButtonBody], Handler]:
    """A button handler that runs ``body(turn, press, context)`` with the parsed
    ``ns:action:value`` data of a ``button_turn`` (``alert`` as there)."""

    def decorate(body: ButtonBody) -> Handler:
        @functools.wraps(body)
        async def handler(update: Update, context: HelplineContext) -> None:
            pressed = await button_turn(update, context, alert=alert)
            if pressed is not None:
                await body(*pressed, context)

        return handler

    return decorate
