"""Intake of claim files (tiếp nhận hồ sơ đề nghị thanh toán): stream, check, store, give a receipt.

Every file gets a receipt: episodes accepted (new, or a new version of an earlier one), duplicates
(the same content received before: stored once) and rejected, each rejection with its code. A bad
episode is rejected and the rest of the file goes on; a file that breaks off (truncated, not XML)
keeps the complete episodes before the break and says where it broke, so that sending the whole file
again adds exactly the missing ones. Batches of episodes are written in one transaction each
(:func:`ansinh.core.arrow_io.bulk_write`).

Parsing and checking (base64, the inner tables, the arithmetic) is the costly part and needs nothing
but the reference codes, so :meth:`IntakeSession.ingest_files` parses the files of a directory in a
pool of worker processes (one per core) that hand back Arrow tables; this process keeps what must be
sequential — versions and duplicates, ids, receipts and the writes — in file order, so the outcome is
the same as one file after the other. A file above :data:`POOL_MAX_BYTES` is streamed in this process
(a worker would hold all of its episodes), as is every file received through the API. A worker reads a
plainly written file whole (:func:`ansinh.claims.xmlparse.read_envelope_whole`) and its plain episodes
column-wise (:mod:`ansinh.claims.fastparse`); anything else goes the reference way, episode by episode.
The rows and audit entries of worker-parsed files are written with their episodes, in the flush's
transaction.

>>> receipt = ingest_path(engine, Path("42001-2026-10.xml"), actor="cli")   # doctest: +SKIP
>>> receipt.accepted, receipt.duplicates, receipt.rejected
(1200, 0, 3)
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ansinh.claims.episode import LINE_FIELDS, Known
from ansinh.claims.fastparse import read_fast, slow_parse
from ansinh.claims.icd import icd_forms
from ansinh.claims.models import ClaimFile
from ansinh.claims.xmlparse import FileRejected, RawEpisode, read_envelope, read_envelope_whole
from ansinh.core.arrow_io import bulk_write, read_many
from ansinh.core.audit import record
from ansinh.core.db import unit_of_work
from ansinh.law.parameters import get_parameters

MAX_FILE_BYTES = 4 << 30
BATCH_EPISODES = 100_000
#: Files up to this size are parsed in the worker pool, larger ones streamed in process.
POOL_MAX_BYTES = 64 << 20
#: Episodes a worker parses together (one column-wise pass, see fastparse.py).
PARSE_BATCH = 5_000

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

#: An episode as parsed (the columns of EPISODE_SCHEMA that come from the file).
PARSED_SCHEMA = pa.schema(
    [f for f in EPISODE_SCHEMA if f.name not in ("id", "file_id", "version", "superseded")]
)
#: A line as parsed: LINE_SCHEMA's columns from the file and ``ep``, its episode's row in the batch.
PARSED_LINE_SCHEMA = pa.schema([LINE_SCHEMA.field(name) for name in LINE_FIELDS] + [("ep", pa.int32())])

ATTACHMENT_SCHEMA = pa.schema(
    [("id", pa.int64()), ("episode_id", pa.int64()), ("table_type", pa.string()), ("content", pa.string())]
)
FILE_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("facility_code", pa.string()),
        ("file_name", pa.string()),
        ("sha256", pa.string()),
        ("size", pa.int64()),
        ("received_at", pa.timestamp("us", "UTC")),
        ("received_by", pa.string()),
        ("error_code", pa.string()),
        ("error_message", pa.string()),
        ("episodes", pa.int32()),
        ("accepted", pa.int32()),
        ("new_versions", pa.int32()),
        ("duplicates", pa.int32()),
        ("rejected", pa.int32()),
    ]
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
        with engine.connect() as conn:  # small lists: no worker process to start
            return frozenset(v for (v,) in conn.execute(text(sql)) if v)

    cards = None
    if check_cards:
        sql = "SELECT hi_card_number FROM participations WHERE scheme = 'hi' AND hi_card_number IS NOT NULL"
        # no DISTINCT: the set removes repeats without a sort in the database
        column = read_many(engine, {"cards": sql})["cards"].column(0)
        cards = frozenset(v for v in column.to_pylist() if v)
    return Known(
        facilities=codes("SELECT DISTINCT code FROM claim_facilities"),
        services=codes("SELECT DISTINCT service_code FROM claim_service_prices"),
        items=codes("SELECT DISTINCT item_code FROM claim_item_prices"),
        icd=icd_forms(codes("SELECT code FROM claim_icd")),  # with/without the dot
        cards=cards,
        tolerance=get_parameters().dong("claims_amount_tolerance", date.today()),
    )


def _next_id(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one()) + 1


@dataclass
class ParsedBatch:
    """Some episodes of one file, parsed and checked: what happened to each ``HOSO`` in order
    (``events``: position, row in ``episodes`` or -1, rejection code, detail), the valid ones as Arrow,
    their lines (``ep``: the row of their episode) and their other tables."""

    events: list[tuple[int, int, str, str]]
    episodes: pa.Table
    lines: pa.Table
    attachments: list[tuple[int, str, str]]


@dataclass
class ParsedFile:
    """One file parsed in a worker: the facility it was read for, its batches, and the file-level error
    (after which nothing more was read)."""

    sha256: str
    size: int
    facility: str | None = None
    batches: list[ParsedBatch] = field(default_factory=list)
    error: tuple[str, str] | None = None


def parse_batch(raws: list[RawEpisode], facility: str, known: Known) -> ParsedBatch:
    """Decode, parse and check some episodes (no database: runs in a worker process). The plain episodes
    are read column-wise (:func:`ansinh.claims.fastparse.read_fast`), the others one at a time by
    :func:`ansinh.claims.episode.build`; the outcome is the same as reading all of them with ``build``."""
    fast = read_fast(raws, facility, known)
    events: list[tuple[int, int, str, str]] = []
    rows: list[dict[str, Any]] = []
    row_k: list[int] = []
    lines: list[tuple[Any, ...]] = []
    line_ep: list[int] = []
    attachments: list[tuple[int, str, str]] = []
    fast_k = np.full(fast.episodes.num_rows, -1, dtype=np.int64)
    k = 0
    for j, raw in enumerate(raws):
        if raw.problem:
            events.append((raw.position, -1, *raw.problem))
            continue
        r = int(fast.row_of[j])
        if r >= 0:
            fast_k[r] = k
            attachments.extend((k, kind, content) for kind, content in fast.attachments.get(j, ()))
        else:
            got = slow_parse(raw, facility, known)
            if isinstance(got, tuple):
                events.append((raw.position, -1, *got))
                continue
            rows.append(got.row)
            row_k.append(k)
            lines.extend(got.lines)
            line_ep.extend([k] * len(got.lines))
            attachments.extend((k, kind, content) for kind, content in got.attachments)
        events.append((raw.position, k, "", ""))
        k += 1
    columns = list(zip(*lines, strict=True)) if lines else [() for _ in LINE_FIELDS]
    arrays = [pa.array(col, PARSED_LINE_SCHEMA.field(i).type) for i, col in enumerate(columns)] + [
        pa.array(line_ep, pa.int32())
    ]
    slow_lines = pa.Table.from_arrays(arrays, schema=PARSED_LINE_SCHEMA)
    slow_episodes = pa.Table.from_pylist(rows, schema=PARSED_SCHEMA)
    if not fast.episodes.num_rows:
        return ParsedBatch(events=events, episodes=slow_episodes, lines=slow_lines, attachments=attachments)
    episodes = pa.concat_tables(
        [fast.episodes.select(PARSED_SCHEMA.names).cast(PARSED_SCHEMA), slow_episodes]
    )
    order = np.argsort(np.concatenate([fast_k, np.asarray(row_k, dtype=np.int64)]), kind="stable")
    episodes = episodes.take(pa.array(order))
    if fast.lines.num_rows:
        ep = fast_k[fast.row_of[fast.lines["ep"].to_numpy()]]
        fast_lines = fast.lines.set_column(
            fast.lines.column_names.index("ep"), "ep", pa.array(ep, pa.int32())
        ).select(PARSED_LINE_SCHEMA.names)
        all_lines = pa.concat_tables([fast_lines.cast(PARSED_LINE_SCHEMA), slow_lines])
        line_order = np.argsort(all_lines["ep"].to_numpy(), kind="stable")
        all_lines = all_lines.take(pa.array(line_order))
    else:
        all_lines = slow_lines
    return ParsedBatch(events=events, episodes=episodes, lines=all_lines, attachments=attachments)


def _check_facility(facility: str | None, known: Known) -> str:
    if not facility:
        raise FileRejected("F03", "the envelope has no THONGTINDONVI/MACSKCB before the first HOSO")
    if facility not in known.facilities:
        raise FileRejected("F06", f"facility {facility} is not in the reference list")
    return facility


class _HashingReader:
    """A binary stream that hashes what is read from it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.stream.read(n)
        self.digest.update(data)
        return data

    def finish(self) -> str:
        while self.read(1 << 20):
            pass
        return self.digest.hexdigest()


def parse_file(path: Path, known: Known) -> ParsedFile:
    """Read, hash and parse one whole file (a worker's task); the same checks, in the same order, as
    :meth:`IntakeSession.ingest`."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        digest, size = _hash_and_size(path)
        return ParsedFile(
            digest, size, error=("F04", f"the file is larger than the limit of {MAX_FILE_BYTES:,} bytes")
        )
    out = ParsedFile("", size)
    pending: list[RawEpisode] = []

    def parse_pending() -> None:
        if pending:
            assert out.facility is not None
            out.batches.append(parse_batch(pending, out.facility, known))
            pending.clear()

    def take(facility: str | None, raws: list[RawEpisode]) -> None:
        # the envelope hands over the episodes of each 1 MB chunk; they are parsed in larger batches,
        # as the column-wise reading costs a little per batch
        if out.facility is None:
            out.facility = _check_facility(facility, known)
        pending.extend(raws)
        if len(pending) >= PARSE_BATCH:
            parse_pending()

    data = path.read_bytes() if size <= POOL_MAX_BYTES else None
    whole = read_envelope_whole(data) if data is not None else None
    if data is not None and whole is not None:
        facility, raws = whole
        try:
            if raws:
                take(facility, raws)
            elif facility:
                out.facility = _check_facility(facility, known)
        except FileRejected as exc:
            out.error = (exc.code, exc.message)
        parse_pending()
        out.sha256 = hashlib.sha256(data).hexdigest()
        return out
    with path.open("rb") as fh:
        reader = _HashingReader(fh)
        try:
            envelope = read_envelope(cast(IO[bytes], reader), take, MAX_FILE_BYTES)
            if out.facility is None and envelope.facility:
                out.facility = _check_facility(envelope.facility, known)
        except FileRejected as exc:
            out.error = (exc.code, exc.message)
        parse_pending()
        out.sha256 = reader.finish()
    return out


_WORKER_KNOWN: Known | None = None


def _init_worker(known: Known) -> None:
    global _WORKER_KNOWN
    _WORKER_KNOWN = known


def _parse_in_worker(path: Path) -> ParsedFile | None:
    """A worker's task: the parsed file, or None for a file to stream in the main process."""
    assert _WORKER_KNOWN is not None
    if path.stat().st_size > POOL_MAX_BYTES:
        return None
    return parse_file(path, _WORKER_KNOWN)


class IntakeSession:
    """Receives any number of files, writing their episodes in batches of :data:`BATCH_EPISODES` across
    files (a month arrives as thousands of small files). Call :meth:`close` at the end."""

    def __init__(self, engine: Engine, known: Known, actor: str) -> None:
        self.engine = engine
        self.known = known
        self.actor = actor
        self.history: dict[str, dict[str, tuple[int, set[str]]]] = {}
        self.pending: list[pa.Table] = []
        self.pending_lines: list[pa.Table] = []
        self.pending_count = 0
        self.pending_at: dict[tuple[str, str], int] = {}
        self.pending_superseded: set[int] = set()
        self.attachments: dict[str, list[Any]] = {"id": [], "episode_id": [], "table_type": [], "content": []}
        self.superseded: list[tuple[str, str, int]] = []
        self.rejections: list[tuple[int, int, str | None, str, str]] = []
        self.next_episode = _next_id(engine, "claim_episodes")
        self.next_line = _next_id(engine, "claim_lines")
        self.next_attachment = _next_id(engine, "claim_attachments")
        self.next_rejection = _next_id(engine, "claim_rejections")
        self.next_file = _next_id(engine, "claim_files")
        # files parsed by workers: their rows and audit entries, written with the next flush
        self.files: list[dict[str, Any]] = []
        # per file
        self.receipt = Receipt(file_id=0, file_name="")
        self.facility: str | None = None
        #: the facilities the sender may file for (a hospital account); None: the office itself
        self.allowed: frozenset[str] | None = None
        self.seen: dict[str, str] = {}
        self.hold = False

    def _facility_history(self, facility: str) -> dict[str, tuple[int, set[str]]]:
        if not self.history:
            # one read for every facility (a session usually receives files from many)
            sql = "SELECT facility_code, ma_lk, version, content_hash FROM claim_episodes"
            table = read_many(self.engine, {"history": sql})["history"]
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
        self.facility = self.receipt.facility = _check_facility(facility, self.known)
        if self.allowed is not None and self.facility not in self.allowed:
            # before any episode of the file is staged: a refused file leaves nothing behind
            raise FileRejected(
                "F07",
                f"MACSKCB {self.facility} is not a facility of this account "
                f"({', '.join(sorted(self.allowed)) or 'none'})",
            )
        self._facility_history(self.facility)

    def take(self, facility: str | None, batch: list[RawEpisode]) -> None:
        if self.facility is None:
            self._start(facility)
        assert self.facility is not None
        self.apply(parse_batch(batch, self.facility, self.known))

    def apply(self, batch: ParsedBatch) -> None:
        """Classify a parsed batch of the current file (new, new version, duplicate) and stage it."""
        assert self.facility is not None
        ma_lks = batch.episodes["ma_lk"].to_pylist()
        hashes = batch.episodes["content_hash"].to_pylist()
        if self._all_new(batch, ma_lks, hashes):
            return
        keep: list[int] = []
        versions: list[int] = []
        for position, k, code, detail in batch.events:
            self.receipt.episodes += 1
            if k < 0:
                self._reject(position, None, code, detail)
                continue
            version = self._classify(position, ma_lks[k], hashes[k], self.next_episode + len(keep))
            if version:
                keep.append(k)
                versions.append(version)
        if keep:
            self._stage(batch, keep, versions)
        if self.pending_count >= BATCH_EPISODES and not self.hold:
            self.flush()

    def _all_new(self, batch: ParsedBatch, ma_lks: list[str], hashes: list[str]) -> bool:
        """The usual batch — every episode valid, its MA_LK new to the facility and once in the file —
        classified at once (the same outcome as :meth:`_classify` one by one: version 1 each)."""
        assert self.facility is not None
        n = len(ma_lks)
        history = self.history[self.facility]
        if (
            len(batch.events) != n
            or len(set(ma_lks)) != n
            or not self.seen.keys().isdisjoint(ma_lks)
            or not history.keys().isdisjoint(ma_lks)
        ):
            return False
        self.receipt.episodes += n
        self.receipt.accepted += n
        self.seen.update(zip(ma_lks, hashes, strict=True))
        history.update((key, (1, {digest})) for key, digest in zip(ma_lks, hashes, strict=True))
        facility, start = self.facility, self.next_episode
        self.pending_at.update(((facility, key), start + i) for i, key in enumerate(ma_lks))
        if n:
            self._stage(batch, list(range(n)), [1] * n)
        if self.pending_count >= BATCH_EPISODES and not self.hold:
            self.flush()
        return True

    def _reject(self, position: int, ma_lk: str | None, code: str, detail: str) -> None:
        self.receipt.rejected += 1
        self.rejections.append((self.receipt.file_id, position, ma_lk, code, detail))
        self.receipt.rejections.append((position, ma_lk, code, detail))

    def _classify(self, position: int, key: str, content_hash: str, episode_id: int) -> int:
        """The version to store the episode as (with id ``episode_id``), or 0 (a duplicate, or
        rejected)."""
        assert self.facility is not None
        if key in self.seen:
            if self.seen[key] == content_hash:
                self.receipt.duplicates += 1
            else:
                self._reject(
                    position, key, "E09", f"MA_LK {key} appears twice in the file with other content"
                )
            return 0
        self.seen[key] = content_hash
        history = self.history[self.facility]
        top, hashes = history.get(key, (0, set()))
        if content_hash in hashes:
            self.receipt.duplicates += 1
            return 0
        if top:
            self.receipt.new_versions += 1
            at = self.pending_at.get((self.facility, key))
            if at is not None:
                self.pending_superseded.add(at)
            else:
                self.superseded.append((self.facility, key, top))
        self.receipt.accepted += 1
        history[key] = (top + 1, hashes | {content_hash})
        self.pending_at[(self.facility, key)] = episode_id
        return top + 1

    def _stage(self, batch: ParsedBatch, keep: list[int], versions: list[int]) -> None:
        n = len(keep)
        ids = np.arange(self.next_episode, self.next_episode + n, dtype=np.int64)
        self.next_episode += n
        whole = n == batch.episodes.num_rows and keep == list(range(n))
        episodes = batch.episodes if whole else batch.episodes.take(pa.array(keep, pa.int64()))
        episodes = (
            episodes.append_column("id", pa.array(ids))
            .append_column("file_id", pa.array(np.full(n, self.receipt.file_id, dtype=np.int64)))
            .append_column("version", pa.array(versions, pa.int16()))
            .append_column("superseded", pa.array(np.zeros(n, dtype=bool)))
        )
        self.pending.append(episodes)
        self.pending_count += n
        id_of = np.full(batch.episodes.num_rows, -1, dtype=np.int64)
        id_of[np.asarray(keep, dtype=np.int64)] = ids
        if batch.lines.num_rows:
            episode_id = id_of[batch.lines["ep"].to_numpy()]
            mask = episode_id >= 0
            lines = batch.lines if whole else batch.lines.filter(pa.array(mask))
            m = lines.num_rows
            lines = lines.append_column("episode_id", pa.array(episode_id[mask])).append_column(
                "id", pa.array(np.arange(self.next_line, self.next_line + m, dtype=np.int64))
            )
            self.next_line += m
            self.pending_lines.append(lines)
        for k, kind, content in batch.attachments:
            if id_of[k] >= 0:
                self.attachments["id"].append(self.next_attachment)
                self.attachments["episode_id"].append(int(id_of[k]))
                self.attachments["table_type"].append(kind[:20])
                self.attachments["content"].append(content)
                self.next_attachment += 1

    def flush(self) -> None:
        if not self.pending and not self.rejections and not self.superseded and not self.files:
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
        episodes = _concat(self.pending, EPISODE_SCHEMA)
        marked = pa.array(sorted(self.pending_superseded), pa.int64())
        episodes = episodes.set_column(
            EPISODE_SCHEMA.get_field_index("superseded"),
            "superseded",
            pc.is_in(episodes["id"], value_set=marked),
        )
        files, audit = self._file_rows()
        after = []
        if files.num_rows and self.engine.dialect.name == "postgresql":
            # the ids were given here: move the sequence past them for rows inserted one by one
            sequence = "pg_get_serial_sequence('claim_files', 'id')"
            after.append(f"SELECT setval({sequence}, (SELECT MAX(id) FROM claim_files))")
        bulk_write(
            self.engine,
            {
                "claim_files": files,
                "claim_episodes": episodes,
                "claim_lines": _concat(self.pending_lines, LINE_SCHEMA),
                "claim_attachments": pa.table(self.attachments, schema=ATTACHMENT_SCHEMA),
                "claim_rejections": pa.table(rejections, schema=REJECTION_SCHEMA),
                "audit_log": audit,
            },
            before=before,
            after=after,
        )
        self.pending, self.pending_lines, self.superseded, self.rejections = [], [], [], []
        self.pending_count = 0
        self.pending_at = {}
        self.pending_superseded = set()
        self.attachments = {"id": [], "episode_id": [], "table_type": [], "content": []}
        self.files = []

    def _file_rows(self) -> tuple[pa.Table, pa.Table]:
        """The rows of the files received since the last flush, and their audit entries (as
        :func:`ansinh.core.audit.record` writes them)."""
        rows = self.files
        files = pa.Table.from_pylist(rows, schema=FILE_SCHEMA)
        details = [
            json.dumps(
                {k: r[k] for k in ("accepted", "duplicates", "rejected")} | {"error": r["error_code"]},
                ensure_ascii=False,
                default=str,
            )
            for r in rows
        ]
        audit = pa.table(
            {
                "at": pa.array([r["received_at"] for r in rows], pa.timestamp("us", "UTC")),
                "actor": pa.array([r["received_by"] for r in rows], pa.string()),
                "action": pa.array(["claims_ingest"] * len(rows), pa.string()),
                "entity": pa.array(["claim_file"] * len(rows), pa.string()),
                "entity_id": pa.array([str(r["id"]) for r in rows], pa.string()),
                "source_ip": pa.nulls(len(rows), pa.string()),
                "detail": pa.array(details, pa.string()),
            }
        )
        return files, audit

    def _open(self, file_name: str, sha256: str, size: int) -> Receipt:
        if self.files:
            self.flush()  # the rows of files parsed by workers first: their ids were given here
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
        self.next_file = max(self.next_file, file_id + 1)
        self.receipt = Receipt(file_id=file_id, file_name=file_name)
        self.facility = None
        self.seen = {}
        return self.receipt

    def _fail(self, code: str, message: str) -> None:
        receipt = self.receipt
        receipt.error_code, receipt.error_message = code, message
        if code in ("F01", "F05") and receipt.episodes:
            receipt.error_message += (
                f"; the {receipt.episodes} complete episode(s) before this point were read, "
                "the rest was not received"
            )

    def ingest(
        self,
        stream: IO[bytes],
        *,
        file_name: str,
        sha256: str,
        size: int,
        facilities: frozenset[str] | None = None,
    ) -> Receipt:
        """Read one envelope. ``facilities``, when given (a hospital's account or token), must include
        its MACSKCB, else the whole file is refused (F07) and the refusal is logged with the file."""
        receipt = self._open(file_name, sha256, size)
        self.allowed = facilities
        try:
            if size > MAX_FILE_BYTES:
                raise FileRejected("F04", f"the file is larger than the limit of {MAX_FILE_BYTES:,} bytes")
            reader = read_envelope(stream, self.take, MAX_FILE_BYTES)
            if self.facility is None and reader.facility:
                self._start(reader.facility)
        except FileRejected as exc:
            self._fail(exc.code, exc.message)
        _close(self.engine, receipt, self.actor)
        return receipt

    def ingest_parsed(self, path: Path, parsed: ParsedFile) -> Receipt:
        """Store a file a worker parsed (:func:`parse_file`), as :meth:`ingest` would have. Its row,
        counts and audit entry are written with its episodes, in the next flush's transaction (one
        transaction for thousands of small files, not one each)."""
        self.receipt = receipt = Receipt(file_id=self.next_file, file_name=path.name)
        self.next_file += 1
        received_at = datetime.now(UTC)
        self.facility = None
        self.seen = {}
        self.hold = True
        try:
            if parsed.facility is not None:
                self._start(parsed.facility)
            for batch in parsed.batches:
                self.apply(batch)
            if parsed.error:
                raise FileRejected(*parsed.error)
        except FileRejected as exc:
            self._fail(exc.code, exc.message)
        finally:
            self.hold = False
        self.files.append(
            {
                "id": receipt.file_id,
                "facility_code": receipt.facility,
                "file_name": path.name[:300],
                "sha256": parsed.sha256,
                "size": parsed.size,
                "received_at": received_at,
                "received_by": self.actor[:64],
                "error_code": receipt.error_code,
                "error_message": receipt.error_message,
                "episodes": receipt.episodes,
                "accepted": receipt.accepted,
                "new_versions": receipt.new_versions,
                "duplicates": receipt.duplicates,
                "rejected": receipt.rejected,
            }
        )
        if self.pending_count >= BATCH_EPISODES:
            self.flush()
        return receipt

    def ingest_files(self, paths: Iterable[Path], workers: int | None = None) -> Iterator[Receipt]:
        """Receive files in order, parsing them in ``workers`` processes (default: one per core; 0 or 1:
        in this process). Yields each file's receipt."""
        workers = (os.cpu_count() or 1) if workers is None else workers
        if workers <= 1:
            for path in paths:
                yield ingest_file(self, path)
            return
        # fork: the workers inherit the code lists (a million cards) instead of receiving them pickled
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        with ProcessPoolExecutor(workers, context, _init_worker, (self.known,)) as pool:
            window: deque[tuple[Path, Future[ParsedFile | None]]] = deque()
            todo = iter(paths)
            for path in todo:
                window.append((path, pool.submit(_parse_in_worker, path)))
                if len(window) >= 4 * workers:
                    break
            while window:
                path, future = window.popleft()
                nxt = next(todo, None)
                if nxt is not None:
                    window.append((nxt, pool.submit(_parse_in_worker, nxt)))
                parsed = future.result()
                yield ingest_file(self, path) if parsed is None else self.ingest_parsed(path, parsed)

    def close(self) -> None:
        self.flush()


def _concat(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    if not tables:
        return schema.empty_table()
    return pa.concat_tables([t.select(schema.names) for t in tables]).cast(schema)


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
    facilities: frozenset[str] | None = None,
) -> Receipt:
    """Receive one file and write its episodes (see :class:`IntakeSession` for many files)."""
    session = IntakeSession(engine, known or load_known(engine), actor)
    receipt = session.ingest(stream, file_name=file_name, sha256=sha256, size=size, facilities=facilities)
    session.close()
    return receipt


def _close(engine: Engine, receipt: Receipt, actor: str) -> None:
    with unit_of_work(engine) as session:
        row = session.scalars(select(ClaimFile).where(ClaimFile.id == receipt.file_id)).one()
        _fill(session, row, receipt, actor)


def _fill(session: Session, row: ClaimFile, receipt: Receipt, actor: str) -> None:
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
