"""Intake of claim files (tiếp nhận hồ sơ đề nghị thanh toán): stream, check, store, give a receipt.

Every file gets a receipt: episodes accepted (new, or a new version of an earlier one), duplicates
(the same content received before: stored once) and rejected, each rejection with its code. A bad
episode is rejected and the rest of the file goes on; a file that breaks off (truncated, not XML)
keeps the complete episodes before the break and says where it broke, so that sending the whole file
again adds exactly the missing ones. Batches of episodes are written with one ``bulk_write`` each.

>>> receipt = ingest_path(engine, Path("42001-2026-10.xml"), actor="cli")   # doctest: +SKIP
>>> receipt.accepted, receipt.duplicates, receipt.rejected
(1200, 0, 3)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.engine import Engine

from ansinh.claims.episode import Known, Parsed, Reject, build
from ansinh.claims.models import ClaimFile
from ansinh.claims.xmlparse import FileRejected, InnerRejected, RawEpisode, read_envelope
from ansinh.core.arrow_io import bulk_write, read_query
from ansinh.core.audit import record
from ansinh.core.db import unit_of_work
from ansinh.law.parameters import get_parameters

MAX_FILE_BYTES = 4 << 30
BATCH_EPISODES = 20_000

EPISODE_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("file_id", pa.int64()),
        ("facility_code", pa.string()),
        ("ma_lk", pa.string()),
        ("version", pa.int16()),
        ("superseded", pa.bool_()),
        ("content_hash", pa.string()),
        ("patient_name", pa.string()),
        ("birth_date", pa.date32()),
        ("gender", pa.int16()),
        ("card_number", pa.string()),
        ("card_from", pa.date32()),
        ("card_to", pa.date32()),
        ("icd_main", pa.string()),
        ("icd_other", pa.string()),
        ("kind", pa.string()),
        ("admitted_at", pa.timestamp("us")),
        ("discharged_at", pa.timestamp("us")),
        ("treatment_days", pa.int16()),
        ("benefit_rate", pa.int16()),
        ("practitioner", pa.string()),
        ("total_hospital", pa.int64()),
        ("total_hi", pa.int64()),
        ("patient_copay", pa.int64()),
        ("patient_self", pa.int64()),
        ("fund_claimed", pa.int64()),
        ("settle_year", pa.int16()),
        ("settle_month", pa.int16()),
    ]
)
LINE_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("episode_id", pa.int64()),
        ("source", pa.string()),
        ("seq", pa.int32()),
        ("item_code", pa.string()),
        ("kind", pa.string()),
        ("group_code", pa.string()),
        ("quantity_milli", pa.int64()),
        ("unit_price_milli", pa.int64()),
        ("payment_rate", pa.int16()),
        ("amount_hospital", pa.int64()),
        ("amount_hi", pa.int64()),
        ("practitioner", pa.string()),
        ("ordered_on", pa.date32()),
        ("performed_at", pa.timestamp("us")),
    ]
)

ATTACHMENT_SCHEMA = pa.schema(
    [("id", pa.int64()), ("episode_id", pa.int64()), ("table_type", pa.string()), ("content", pa.string())]
)
REJECTION_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("file_id", pa.int64()),
        ("ma_lk", pa.string()),
        ("position", pa.int32()),
        ("code", pa.string()),
        ("detail", pa.string()),
    ]
)


@dataclass
class Receipt:
    """What happened to a file (biên nhận)."""

    file_id: int
    file_name: str
    facility: str | None = None
    episodes: int = 0
    accepted: int = 0
    new_versions: int = 0
    duplicates: int = 0
    rejected: int = 0
    error_code: str | None = None
    error_message: str | None = None
    rejections: list[tuple[int, str | None, str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_name": self.file_name,
            "facility": self.facility,
            "episodes": self.episodes,
            "accepted": self.accepted,
            "new_versions": self.new_versions,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "error": {"code": self.error_code, "message": self.error_message} if self.error_code else None,
            "rejections": [
                {"position": p, "ma_lk": m, "code": c, "detail": d} for p, m, c, d in self.rejections
            ],
        }


def load_known(engine: Engine, *, check_cards: bool = True) -> Known:
    """The facility, service, item and ICD codes in the reference data, and the registry's HI cards."""

    def codes(sql: str) -> frozenset[str]:
        column = read_query(engine, sql).column(0)
        return frozenset(v for v in column.to_pylist() if v)

    cards = (
        codes("SELECT DISTINCT hi_card_number FROM participations WHERE scheme = 'hi'")
        if check_cards
        else None
    )
    return Known(
        facilities=codes("SELECT DISTINCT code FROM claim_facilities"),
        services=codes("SELECT DISTINCT service_code FROM claim_service_prices"),
        items=codes("SELECT DISTINCT item_code FROM claim_item_prices"),
        icd=codes("SELECT code FROM claim_icd"),
        cards=cards,
        tolerance=get_parameters().dong("claims_amount_tolerance", date.today()),
    )


def _next_id(engine: Engine, table: str) -> int:
    value = read_query(engine, f"SELECT COALESCE(MAX(id), 0) AS m FROM {table}").column(0)[0].as_py()
    return int(value) + 1


class IntakeSession:
    """Receives any number of files, writing their episodes in batches of :data:`BATCH_EPISODES` across
    files (a month arrives as thousands of small files). Call :meth:`close` at the end."""

    def __init__(self, engine: Engine, known: Known, actor: str) -> None:
        self.engine = engine
        self.known = known
        self.actor = actor
        self.history: dict[str, dict[str, tuple[int, set[str]]]] = {}
        self.pending: list[dict[str, Any]] = []
        self.pending_lines: list[dict[str, Any]] = []
        self.pending_at: dict[tuple[str, str], int] = {}
        self.attachments: dict[str, list[Any]] = {"id": [], "episode_id": [], "table_type": [], "content": []}
        self.superseded: list[tuple[str, str, int]] = []
        self.rejections: list[tuple[int, int, str | None, str, str]] = []
        self.next_episode = _next_id(engine, "claim_episodes")
        self.next_line = _next_id(engine, "claim_lines")
        self.next_attachment = _next_id(engine, "claim_attachments")
        self.next_rejection = _next_id(engine, "claim_rejections")
        # per file
        self.receipt = Receipt(file_id=0, file_name="")
        self.facility: str | None = None
        self.seen: dict[str, str] = {}

    def _facility_history(self, facility: str) -> dict[str, tuple[int, set[str]]]:
        if not self.history:
            # one read for every facility (a session usually receives files from many)
            table = read_query(
                self.engine, "SELECT facility_code, ma_lk, version, content_hash FROM claim_episodes"
            )
            self.history = {"": {}}
            for fac, ma_lk, version, digest in zip(
                table["facility_code"].to_pylist(),
                table["ma_lk"].to_pylist(),
                table["version"].to_pylist(),
                table["content_hash"].to_pylist(),
                strict=True,
            ):
                known = self.history.setdefault(fac, {})
                top, hashes = known.get(ma_lk, (0, set()))
                hashes.add(digest)
                known[ma_lk] = (max(top, int(version)), hashes)
        return self.history.setdefault(facility, {})

    def _start(self, facility: str | None) -> None:
        if not facility:
            raise FileRejected("F03", "the envelope has no THONGTINDONVI/MACSKCB before the first HOSO")
        if facility not in self.known.facilities:
            raise FileRejected("F06", f"facility {facility} is not in the reference list")
        self.facility = self.receipt.facility = facility
        self._facility_history(facility)

    def take(self, facility: str | None, batch: list[RawEpisode]) -> None:
        if self.facility is None:
            self._start(facility)
        assert self.facility is not None
        for raw in batch:
            self.receipt.episodes += 1
            if raw.problem:
                self._reject(raw.position, None, *raw.problem)
                continue
            try:
                parsed = build(raw.tables, self.facility, self.known)
            except (Reject, InnerRejected) as exc:
                detail = exc.detail if isinstance(exc, Reject) else exc.message
                self._reject(raw.position, None, exc.code, detail)
                continue
            self._classify(raw.position, parsed)
        if len(self.pending) >= BATCH_EPISODES:
            self.flush()

    def _reject(self, position: int, ma_lk: str | None, code: str, detail: str) -> None:
        self.receipt.rejected += 1
        self.rejections.append((self.receipt.file_id, position, ma_lk, code, detail))
        self.receipt.rejections.append((position, ma_lk, code, detail))

    def _classify(self, position: int, parsed: Parsed) -> None:
        assert self.facility is not None
        key = parsed.ma_lk
        if key in self.seen:
            if self.seen[key] == parsed.content_hash:
                self.receipt.duplicates += 1
            else:
                self._reject(
                    position, key, "E09", f"MA_LK {key} appears twice in the file with other content"
                )
            return
        self.seen[key] = parsed.content_hash
        history = self.history[self.facility]
        top, hashes = history.get(key, (0, set()))
        if parsed.content_hash in hashes:
            self.receipt.duplicates += 1
            return
        if top:
            self.receipt.new_versions += 1
            at = self.pending_at.get((self.facility, key))
            if at is not None:
                self.pending[at]["superseded"] = True
            else:
                self.superseded.append((self.facility, key, top))
        self.receipt.accepted += 1
        history[key] = (top + 1, hashes | {parsed.content_hash})
        self._stage(parsed, top + 1)

    def _stage(self, parsed: Parsed, version: int) -> None:
        episode_id = self.next_episode
        self.next_episode += 1
        self.pending_at[(parsed.row["facility_code"], parsed.ma_lk)] = len(self.pending)
        self.pending.append(
            {
                **parsed.row,
                "id": episode_id,
                "file_id": self.receipt.file_id,
                "version": version,
                "superseded": False,
            }
        )
        for line in parsed.lines:
            self.pending_lines.append({**line, "id": self.next_line, "episode_id": episode_id})
            self.next_line += 1
        for kind, content in parsed.attachments:
            self.attachments["id"].append(self.next_attachment)
            self.attachments["episode_id"].append(episode_id)
            self.attachments["table_type"].append(kind[:20])
            self.attachments["content"].append(content)
            self.next_attachment += 1

    def flush(self) -> None:
        if not self.pending and not self.rejections and not self.superseded:
            return
        n = len(self.rejections)
        rejections = {
            "id": list(range(self.next_rejection, self.next_rejection + n)),
            "file_id": [r[0] for r in self.rejections],
            "ma_lk": [r[2] for r in self.rejections],
            "position": [r[1] for r in self.rejections],
            "code": [r[3] for r in self.rejections],
            "detail": [r[4][:2000] for r in self.rejections],
        }
        self.next_rejection += n
        true = "1" if self.engine.dialect.name == "sqlite" else "true"
        before = [
            f"UPDATE claim_episodes SET superseded = {true} WHERE facility_code = '{fac}' "
            f"AND ma_lk = '{key.replace(chr(39), chr(39) * 2)}' AND version = {version}"
            for fac, key, version in self.superseded
        ]
        bulk_write(
            self.engine,
            {
                "claim_episodes": pa.Table.from_pylist(self.pending, EPISODE_SCHEMA),
                "claim_lines": pa.Table.from_pylist(self.pending_lines, LINE_SCHEMA),
                "claim_attachments": pa.table(self.attachments, schema=ATTACHMENT_SCHEMA),
                "claim_rejections": pa.table(rejections, schema=REJECTION_SCHEMA),
            },
            before=before,
        )
        self.pending, self.pending_lines, self.superseded, self.rejections = [], [], [], []
        self.pending_at = {}
        self.attachments = {"id": [], "episode_id": [], "table_type": [], "content": []}

    def ingest(
        self, stream: IO[bytes], *, file_name: str, sha256: str, size: int, facility: str | None = None
    ) -> Receipt:
        """Read one envelope. ``facility``, when given (a hospital's API token), must match MACSKCB."""
        with unit_of_work(self.engine) as session:
            row = ClaimFile(
                facility_code=None,
                file_name=file_name[:300],
                sha256=sha256,
                size=size,
                received_at=datetime.now(UTC),
                received_by=self.actor[:64],
            )
            session.add(row)
            session.flush()
            file_id = row.id
        self.receipt = receipt = Receipt(file_id=file_id, file_name=file_name)
        self.facility = None
        self.seen = {}
        try:
            if size > MAX_FILE_BYTES:
                raise FileRejected("F04", f"the file is larger than the limit of {MAX_FILE_BYTES:,} bytes")
            if facility is not None:
                self._start(facility)
            reader = read_envelope(stream, self.take, MAX_FILE_BYTES)
            if facility is not None and reader.facility not in (None, facility):
                raise FileRejected(
                    "E08", f"the envelope is from {reader.facility}, the token is for {facility}"
                )
            if self.facility is None and reader.facility:
                self._start(reader.facility)
        except FileRejected as exc:
            receipt.error_code, receipt.error_message = exc.code, exc.message
            if exc.code in ("F01", "F05") and receipt.episodes:
                receipt.error_message += (
                    f"; the {receipt.episodes} complete episode(s) before this point were read, "
                    "the rest was not received"
                )
        _close(self.engine, receipt, self.actor)
        return receipt

    def close(self) -> None:
        self.flush()


def _hash_and_size(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def ingest_stream(
    engine: Engine,
    stream: IO[bytes],
    *,
    file_name: str,
    sha256: str,
    size: int,
    actor: str,
    known: Known | None = None,
    facility: str | None = None,
) -> Receipt:
    """Receive one file and write its episodes (see :class:`IntakeSession` for many files)."""
    session = IntakeSession(engine, known or load_known(engine), actor)
    receipt = session.ingest(stream, file_name=file_name, sha256=sha256, size=size, facility=facility)
    session.close()
    return receipt


def _close(engine: Engine, receipt: Receipt, actor: str) -> None:
    with unit_of_work(engine) as session:
        row = session.scalars(select(ClaimFile).where(ClaimFile.id == receipt.file_id)).one()
        row.facility_code = receipt.facility
        row.episodes = receipt.episodes
        row.accepted = receipt.accepted
        row.new_versions = receipt.new_versions
        row.duplicates = receipt.duplicates
        row.rejected = receipt.rejected
        row.error_code = receipt.error_code
        row.error_message = receipt.error_message
        record(
            session,
            actor=actor,
            action="claims_ingest",
            entity="claim_file",
            entity_id=receipt.file_id,
            detail={
                "accepted": receipt.accepted,
                "duplicates": receipt.duplicates,
                "rejected": receipt.rejected,
                "error": receipt.error_code,
            },
        )


def ingest_path(engine: Engine, path: Path, *, actor: str, known: Known | None = None) -> Receipt:
    session = IntakeSession(engine, known or load_known(engine), actor)
    receipt = ingest_file(session, path)
    session.close()
    return receipt


def ingest_file(session: IntakeSession, path: Path) -> Receipt:
    digest, size = _hash_and_size(path)
    with path.open("rb") as fh:
        return session.ingest(fh, file_name=path.name, sha256=digest, size=size)


def claim_files(path: Path) -> Iterator[Path]:
    """The XML files at ``path`` (a file, or every ``*.xml`` below a directory, in name order)."""
    if path.is_dir():
        yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".xml")
    else:
        yield path
