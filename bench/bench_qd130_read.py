"""Reading QĐ 130/4750 GIAMDINHHS files: the floor (base64 + expat), the reader, the reader with the checks.

    .venv/bin/python -m bench.bench_qd130_read --episodes 50000 --runs 3

1. Writes (once) ``var/bench-qd130-<episodes>.xml`` with :mod:`ansinh.claims.qd130.writer`: conforming
   episodes from :mod:`ansinh.claims.qd130.examples`, 3 or 4 drug lines (XML2) and 4 service/supply lines
   (XML3) each, i.e. 7.5 lines per episode, plain exporter style (``--style cdata`` for the other one).
2. Floor: one streaming expat pass over the envelope that collects each NOIDUNGFILE, base64-decodes it and
   parses the table with expat, doing nothing else — what any reader of this format must at least pay.
3. Reader: :class:`ansinh.claims.qd130.reader.EnvelopeReader` over the file (episodes consumed one at a time).
4. Reader + checks: the same, with :func:`ansinh.claims.qd130.checks.check_episode` on every episode.

Prints the median of ``--runs`` runs of each, episodes per second, the ratio reader ÷ floor and the load
average before and after (the machine is shared).
"""

from __future__ import annotations

import argparse
import binascii
import os
import statistics
import time
from pathlib import Path
from xml.parsers import expat

from ansinh.claims.qd130.checks import check_episode
from ansinh.claims.qd130.examples import episode
from ansinh.claims.qd130.reader import EnvelopeReader
from ansinh.claims.qd130.writer import iter_envelope

CHUNK = 1 << 16


def build(path: Path, episodes: int, style: str) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    eps = (episode(n, drugs=3 + n % 2, services=4) for n in range(1, episodes + 1))
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        for piece in iter_envelope("79001", eps, count=episodes, style=style):
            fh.write(piece)
    tmp.replace(path)


def floor(path: Path) -> int:
    """Base64-decode and expat-parse every table, nothing else; returns the number of tables."""
    parts: list[str] = []
    inside = False
    tables = 0

    def start(tag: str, _attrs: dict[str, str]) -> None:
        nonlocal inside
        inside = tag == "NOIDUNGFILE"

    def chars(data: str) -> None:
        if inside:
            parts.append(data)

    def end(tag: str) -> None:
        nonlocal inside, tables
        if tag == "NOIDUNGFILE":
            inner = expat.ParserCreate()
            inner.buffer_text = True
            inner.Parse(binascii.a2b_base64("".join(parts)), True)
            parts.clear()
            tables += 1
        inside = False

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = CHUNK
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)
    return tables


def read(path: Path) -> int:
    reader = EnvelopeReader()
    n = 0
    with open(path, "rb") as fh:
        for _ in reader.episodes(fh):
            n += 1
    assert not reader.problems, reader.problems[:3]
    return n


def read_and_check(path: Path) -> int:
    reader = EnvelopeReader()
    problems = 0
    with open(path, "rb") as fh:
        for ep in reader.episodes(fh):
            problems += len(check_episode(ep))
    assert problems == 0, problems
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--style", choices=("plain", "cdata"), default="plain")
    args = ap.parse_args()
    path = Path("var") / f"bench-qd130-{args.episodes}-{args.style}.xml"
    started = time.perf_counter()
    build(path, args.episodes, args.style)
    size = path.stat().st_size
    ready = time.perf_counter() - started
    print(f"file {path}: {size / 1e6:.1f} MB, {args.episodes} episodes (ready in {ready:.1f} s)")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    medians: dict[str, float] = {}
    for name, fn in (
        ("floor (base64 + expat)", floor),
        ("reader", read),
        ("reader + checks", read_and_check),
    ):
        runs = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            fn(path)
            runs.append(time.perf_counter() - t0)
        med = statistics.median(runs)
        medians[name] = med
        shown = ", ".join(f"{r:.2f}" for r in runs)
        rate = f"{args.episodes / med:,.0f} episodes/s, {size / 1e6 / med:.0f} MB/s"
        print(f"{name}: median {med:.2f} s [{shown}], {rate}")
    print(f"ratio reader ÷ floor: {medians['reader'] / medians['floor (base64 + expat)']:.2f}")
    print(
        f"ratio reader + checks ÷ floor: {medians['reader + checks'] / medians['floor (base64 + expat)']:.2f}"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
