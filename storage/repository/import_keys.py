"""The keys that make importing the same file twice harmless.

``import_key`` is ``HMAC-SHA256(secret, row digest)``: the secret lives outside the
database (``import.key`` in the data directory), so someone with a copy of the
database cannot recover an erased resident's reference by hashing guessed rows. Keys
stored before there was a secret were the bare row digests; ``prepare_import_keys``
re-keys them once, which keeps re-imports of old files idempotent.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from flows.errors import ImportKeyMismatch
from storage.import_batches import ImportKeyer, keyed_import_key
from storage.models import Contact, JobRun

__all__ = ["ImportKeyer", "keyed_import_key", "prepare_import_keys"]

# Rows re-keyed per statement.
_BATCH = 2000
# job_run row that says which secret the stored keys are keyed with (by fingerprint).
_KEYED_MARK = "import_key:"


def _fingerprint(secret: bytes) -> str:
    # Names the secret in the database without revealing it.
    return hmac.new(secret, b"helpline import secret", hashlib.sha256).hexdigest()[:16]


async def prepare_import_keys(*, session: AsyncSession, secret: bytes, now: datetime) -> int:
    """Makes sure the stored import keys are keyed with ``secret``: the first time,
    re-keys every stored bare digest (keys from before there was a secret) in this
    transaction, and records that in ``job_run``.

    Returns:
        How many stored keys were re-keyed now (0 when done before).

    Raises:
        ImportKeyMismatch: when earlier imports used another secret (a lost or replaced
            ``import.key``): their keys cannot be re-keyed, and re-importing their files
            would store every row twice.
    """
    mark = _KEYED_MARK + _fingerprint(secret)
    marks = set(
        await session.scalars(
            select(col(JobRun.name)).where(col(JobRun.name).startswith(_KEYED_MARK))
        )
    )
    if marks:
        if mark in marks:
            return 0
        raise ImportKeyMismatch
    # The mark first: a concurrent first import then fails on its primary key, not later.
    session.add(JobRun(name=mark, last_run_at=now))
    await session.flush()
    statement = (
        update(Contact.__table__)  # type: ignore[attr-defined]
        .where(
            Contact.__table__.c.id == bindparam("row_id"),  # type: ignore[attr-defined]
            Contact.__table__.c.import_key == bindparam("old"),  # type: ignore[attr-defined]
        )
        .values(import_key=bindparam("new"))
        .execution_options(synchronize_session=False)
    )
    rekeyed, after = 0, 0
    while True:
        rows = (
            await session.execute(
                select(col(Contact.id), col(Contact.import_key))
                .where(col(Contact.id) > after, col(Contact.import_key).is_not(None))
                .order_by(col(Contact.id))
                .limit(_BATCH)
            )
        ).all()
        if not rows:
            return rekeyed
        await session.execute(
            statement,
            [
                {"row_id": row_id, "old": key, "new": keyed_import_key(secret, key)}
                for row_id, key in rows
                if key is not None
            ],
        )
        rekeyed += len(rows)
        after = int(rows[-1][0] or 0)
