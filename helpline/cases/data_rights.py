"""A resident's own data rights in a chat: see everything stored (/mijngegevens) and
have it erased (/vergeetmij and its confirm buttons).

Telegram-free: the edge passes who asked (account, chat, whether the chat is private,
the account's language code) and sends what these return. Personal data only goes to a
private chat, and staff are pointed to the CLI: these commands are about one's own data.
An erasure with requests still open waits for a coordinator (``helpline.cases.erasure``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from flows.conversation import Button
from flows.privacy import MAX_MESSAGES, chunk_lines, export_lines, to_json
from helpline.cases.access import actor_for
from helpline.cases.answers import Buttons
from helpline.cases.core import Services
from helpline.cases.erasure import ask_coordinator, erase_subject
from storage import repository as repo
from storage.models import AuditAction, Resident
from storage.repository import privacy as privacy_repo
from storage.repository.audit import record_audit


@dataclass(frozen=True)
class Asker:
    """Who sent the command or pressed the button, as the channel says."""

    user_id: int
    chat_id: int
    private: bool  # personal data only goes to a private chat
    language_code: str | None  # the account's, for someone the line does not know


@dataclass(frozen=True)
class DataExport:
    """Everything stored about the resident: readable messages, then the JSON file."""

    messages: tuple[str, ...]
    document: bytes
    caption: str


@dataclass(frozen=True)
class ForgetAnswer:
    """The reply to a press of the resident's confirm/cancel buttons.

    ``erased``: the person was erased, so the WAL is wiped after the commit, before the
    reply. ``resident``: a resident's answer was handled (a staff member is only told
    off), so the dispatcher may have an approval card to deliver.
    """

    text: str
    erased: bool = False
    resident: bool = True


def language(services: Services, resident: Resident | None, language_code: str | None) -> str:
    """The resident's language, or for someone unknown the one their account suggests."""
    if resident is not None:
        return resident.language
    code = language_code or ""
    return "en" if code.lower().startswith("en") else services.settings.default_language


async def refusal(session: AsyncSession, services: Services, asker: Asker) -> str | None:
    """The reply to a group chat or a staff member; None when the resident may go on."""
    if not asker.private:
        return services.texts("pv_private_only", language(services, None, asker.language_code))
    if await actor_for(session, asker.user_id) is not None:
        return services.texts("pv_staff_not_resident", services.staff_language)
    return None


async def _person(
    session: AsyncSession, asker: Asker
) -> tuple[Resident | None, privacy_repo.Subject]:
    """The asker's resident row (None: not known) and everything linked to them."""
    resident = await repo.get_resident_by_telegram_id(
        session=session, telegram_user_id=asker.user_id
    )
    subject = await privacy_repo.subject_of(
        session=session, resident=resident, telegram_ids=(asker.user_id, asker.chat_id)
    )
    return resident, subject


async def my_data(session: AsyncSession, services: Services, asker: Asker) -> str | DataExport:
    """/mijngegevens: the export of everything stored about the asker, audited; or one
    reply (a refusal, or that nothing is stored)."""
    if (refused := await refusal(session, services, asker)) is not None:
        return refused
    resident, subject = await _person(session, asker)
    export = await privacy_repo.collect(session=session, subject=subject, now=services.clock())
    lang = language(services, resident, asker.language_code)
    if not privacy_repo.holds_data(export):
        return services.texts("pv_nothing_stored", lang)
    await record_audit(
        session=session,
        actor_staff_id=None,
        action=AuditAction.privacy_export,
        resident_id=subject.resident_id,
        detail="by=resident channel=telegram",
        now=services.clock(),
    )

    def label(key: str) -> str:
        category = services.config.categories.get(key)
        return category.label(lang) if category else key

    def place(key: str) -> str:
        found = services.config.villages.get(key)
        return found.name if found else key

    lines = export_lines(export, services.texts, lang, services.settings.zone, label, place)
    chunks = chunk_lines(lines)
    if len(chunks) > MAX_MESSAGES:  # a long history: the file holds the rest
        chunks = [*chunks[: MAX_MESSAGES - 1], services.texts("pv_export_more", lang)]
    return DataExport(
        messages=tuple(chunks),
        document=to_json(export).encode(),
        caption=services.texts("pv_export_caption", lang),
    )


async def ask_forget(
    session: AsyncSession, services: Services, asker: Asker
) -> str | tuple[str, Buttons]:
    """/vergeetmij: the question whether to erase everything, with its buttons (and the
    open requests that make it wait for a coordinator); or one reply."""
    if (refused := await refusal(session, services, asker)) is not None:
        return refused
    t = services.texts
    resident, subject = await _person(session, asker)
    export = await privacy_repo.collect(session=session, subject=subject, now=services.clock())
    open_requests = await privacy_repo.open_requests(session=session, subject=subject)
    lang = language(services, resident, asker.language_code)
    if not privacy_repo.holds_data(export):
        return t("pv_nothing_stored", lang)
    text = t("pv_forget_confirm", lang)
    if open_requests:
        references = ", ".join(r.reference for r in open_requests)
        text += "\n\n" + t("pv_forget_open_note", lang, references=references)
    buttons = (
        (Button(t("btn_pv_forget_yes", lang), "pv:forget:yes"),),
        (Button(t("btn_pv_forget_no", lang), "pv:forget:no"),),
    )
    return text, buttons


async def answer_forget(
    session: AsyncSession, services: Services, asker: Asker, *, confirmed: bool
) -> ForgetAnswer:
    """The resident's confirm/cancel: erase now, ask a coordinator (requests still open),
    or keep everything. Checked again at the press: a staff member erases nothing."""
    t = services.texts
    if await actor_for(session, asker.user_id) is not None:
        return ForgetAnswer(t("pv_staff_not_resident", services.staff_language), resident=False)
    resident, subject = await _person(session, asker)
    lang = language(services, resident, asker.language_code)
    export = await privacy_repo.collect(session=session, subject=subject, now=services.clock())
    if not confirmed:
        return ForgetAnswer(t("pv_forget_kept", lang))
    if not privacy_repo.holds_data(export):
        return ForgetAnswer(t("pv_nothing_stored", lang))  # pressed twice: already erased
    if open_requests := await privacy_repo.open_requests(session=session, subject=subject):
        assert resident is not None and resident.id is not None
        key = await ask_coordinator(session, services, resident.id, open_requests)
        return ForgetAnswer(t(key, lang))
    await erase_subject(session, services, subject, actor_staff_id=None, source="telegram")
    return ForgetAnswer(t("pv_erased", lang), erased=True)
