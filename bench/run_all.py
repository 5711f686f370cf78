"""Every benchmark from one command, one table of figures (``scripts/run-bench`` runs this).

    .venv/bin/python bench/run_all.py            # full sizes (about 30 minutes)
    .venv/bin/python bench/run_all.py --quick    # small sizes, a smoke run (a few minutes)
    .venv/bin/python bench/run_all.py --only startup --only card

Each benchmark runs in its own process, one after the other (a failure is reported in the
table and the others still run). The summary is one markdown table, one row per figure:
what, softphone's figure, the peer or floor measured in the same run, the target and whether
it is met. It is printed and written to ``bench/results/latest.md`` (git-ignored) together
with each benchmark's own output, so two runs can be compared line by line: a regression shows
as a changed figure. Nothing here asserts timing.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable


@dataclass
class Row:
    bench: str
    metric: str
    ours: str
    peer: str = ""
    target: str = ""
    met: str = ""


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("yes" if ok else "**no**")


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --- one function per benchmark: (argv, json file or None) -> rows -------------------------

def rows_startup(out: str, data: dict[str, Any]) -> list[Row]:
    sp = data.get("softphone", {})
    m, r = med(sp.get("map_ms", [])), med(sp.get("rss_mib", []))
    peers = []
    for name in ("bare PySide6+pjsua2", "linphone", "twinkle"):
        d = data.get(name, {})
        if d.get("map_ms"):
            peers.append((name, med(d["map_ms"]), med(d.get("rss_mib", []))))
    peer_ms = "; ".join(f"{n} {v:.0f}" for n, v, _ in peers)
    peer_mib = "; ".join(f"{n} {v:.0f}" for n, _, v in peers)
    return [Row("startup", "exec -> main window mapped, median ms", f"{m:.0f}", peer_ms,
                "<= 250", verdict(m <= 250)),
            Row("startup", "exec -> main window mapped, p90 ms",
                f"{pct(sp.get('map_ms', []), 90):.0f}"),
            Row("startup", "idle RSS 5 s after map, median MiB", f"{r:.0f}", peer_mib, "<= 100",
                verdict(r <= 100))]


def rows_card(out: str, data: dict[str, Any]) -> list[Row]:
    every = data.get("filled_known", []) + data.get("filled_unknown", [])
    p99 = pct(every, 99)
    return [Row("card", "INVITE -> card shows the caller, p99 ms", f"{p99:.1f}",
                f"median {med(every):.1f}", "<= 100", verdict(p99 <= 100)),
            Row("card", "INVITE -> card window mapped, p99 ms",
                f"{pct(data.get('mapped', []), 99):.1f}",
                f"median {med(data.get('mapped', [])):.1f}"),
            Row("card", "calls without a card", str(data.get("missing", 0)))]


def rows_setup(out: str, data: dict[str, Any]) -> list[Row]:
    app = med(data.get("softphone app", {}).get("ms", []))
    peers = "; ".join(f"{n} {med(d.get('ms', [])):.2f}" for n, d in data.items()
                      if n != "softphone app" and d.get("ms"))
    rows = [Row("setup", "INVITE -> 200 OK, GUI app auto-answer, median ms", f"{app:.2f}", peers,
                "<= 2", verdict(app <= 2.0))]
    eng = data.get("engine", {}).get("ms", [])
    if eng:
        rows.append(Row("setup", "INVITE -> 200 OK, engine alone, median ms", f"{med(eng):.2f}"))
    return rows


def rows_call_cpu(out: str, data: Any) -> list[Row]:
    import bench_call_cpu

    s = bench_call_cpu.summary(data)
    rows = []
    for mode, (_audio, target, label) in bench_call_cpu.MODES.items():
        if mode not in s:
            continue
        m = s[mode]
        rows.append(Row("call cpu", f"CPU s per call-second, {label} (JACK, PCMU)",
                        f"{m['eng']:.4f}", f"baresip+JACK {m['dave']:.4f}; callee {m['bob']:.4f}",
                        f"<= {target:g}x baresip+JACK", verdict(m["ratio"] <= target)))
        rows.append(Row("call cpu", f"ratio to baresip+JACK, {label}", f"{m['ratio']:.2f}x"))
    return rows


def rows_voice(out: str, data: Any) -> list[Row]:
    """PESQ per phone, codec and loss; the softphone against the best peer with its codec."""
    def cell(row: dict[str, Any], loss: str) -> float:
        good = [v for v in row["scores"].get(loss, []) if v == v]
        return med(good)

    rows: list[Row] = []
    by_codec: dict[str, list[dict[str, Any]]] = {}
    for r in data["rows"]:
        by_codec.setdefault(r["codec"], []).append(r)
    for codec, entries in by_codec.items():
        ours = next((r for r in entries if r["phone"] == "softphone"), None)
        if ours is None:
            continue
        for loss in ("0", "3", "10"):
            mine = cell(ours, loss)
            peers = [(r["phone"], cell(r, loss)) for r in entries if r["phone"] != "softphone"]
            best = max((v for _, v in peers if v == v), default=float("nan"))
            target = ">= best peer" + (", >= 3.5" if codec == "opus" and loss == "10" else "")
            ok = (mine >= best - 1e-9 if best == best else None)
            if ok is not None and codec == "opus" and loss == "10":
                ok = ok and mine >= 3.5
            mode = "WB" if ours["mode"] == "wb" else "NB"
            rows.append(Row("voice", f"PESQ {mode} {codec}, {loss} % loss", f"{mine:.2f}",
                            "; ".join(f"{p} {v:.2f}" for p, v in peers), target, verdict(ok)))
    return rows


def _find(pattern: str, text: str) -> list[str]:
    m = re.search(pattern, text, re.MULTILINE)
    return list(m.groups()) if m else []


def rows_engine(out: str, data: Any) -> list[Row]:
    rows = []
    g = _find(r"dial-to-confirmed median \(ms\)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)x", out)
    if g:
        rows.append(Row("engine", "dial -> confirmed (baresip), median ms", g[1],
                        f"raw pjsua2 {g[0]}", "<= 1.2x raw", verdict(float(g[2]) <= 1.2)))
    g = _find(r"CPU s per call-minute\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)x", out)
    if g:
        rows.append(Row("engine", "CPU s per call-minute (no audio device)", g[1],
                        f"raw pjsua2 {g[0]}", "<= 1.2x raw", verdict(float(g[2]) <= 1.2)))
    return rows


def rows_audio(out: str, data: Any) -> list[Row]:
    rows = []
    g = _find(r"underruns / min \(after 1 s\)\s+([\d.]+)", out)
    if g:
        rows.append(Row("audio", "bridge underruns per minute", g[0], "", "<= 1",
                        verdict(float(g[0]) <= 1)))
    g = _find(r"buffer depth mic\+speaker\s+start ([\d.]+) ms, end ([\d.]+) ms", out)
    if g:
        drift = abs(float(g[1]) - float(g[0]))
        rows.append(Row("audio", "buffer depth drift over the call, ms", f"{drift:.1f}",
                        f"start {g[0]}, end {g[1]}", "<= 20", verdict(drift <= 20)))
    g = _find(r"CPU s / call-minute\s+softphone ([\d.]+), baresip callee ([\d.]+), "
              r"baresip with JACK audio ([\d.]+)", out)
    if g:
        ratio = float(g[0]) / float(g[2]) if float(g[2]) else float("nan")
        rows.append(Row("audio", "CPU s per call-minute (long call)", g[0],
                        f"baresip+JACK {g[2]}; callee {g[1]}", "<= 3x baresip+JACK",
                        verdict(ratio <= 3)))
    return rows


def rows_store(out: str, data: Any) -> list[Row]:
    rows = []
    worst = 0.0
    for m in re.finditer(r"^  (\S.*?)\s{2,}([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)$",
                         out, re.MULTILINE):
        worst = max(worst, float(m.group(3)))
    if worst:
        rows.append(Row("store", "caller lookup, worst p99 over formats, ms", f"{worst:.2f}", "",
                        "<= 5", verdict(worst <= 5)))
    g = _find(r"search-as-you-type .*?p50 ([\d.]+) ms, p99 ([\d.]+) ms", out)
    if g:
        rows.append(Row("store", "search-as-you-type p99 ms", g[1], f"p50 {g[0]}", "<= 50",
                        verdict(float(g[1]) <= 50)))
    g = _find(r"^  per day\s+([\d.]+) ms", out)
    if g:
        rows.append(Row("store", "month statistics (per day, warm), ms", g[0], "", "<= 500",
                        verdict(float(g[0]) <= 500)))
    return rows


def rows_import(out: str, data: Any) -> list[Row]:
    g = _find(r"import rate end to end \(median of \d+\): ([\d,]+) rows/s", out)
    if not g:
        return []
    rate = int(g[0].replace(",", ""))
    return [Row("import", "CSV import, rows/s end to end (median)", f"{rate:,}", "", ">= 20,000",
                verdict(rate >= 20_000))]


def rows_nat(out: str, data: Any) -> list[Row]:
    """bench_nat_setup.py's table: dial to two-way audio across the network lab."""
    rows = []
    found = {(m.group(1), m.group(2)): m.group(3) for m in re.finditer(
        r"^\| (direct|ICE|TURN) \| (app|baresip) \| (\d+) ms", out, re.MULTILINE)}
    for call in ("direct", "ICE", "TURN"):
        if (call, "app") in found:
            rows.append(Row("nat", f"dial -> two-way audio, {call} call (lab), median ms",
                            found[(call, "app")],
                            f"baresip peer {found.get((call, 'baresip'), '-')}"))
    return rows


@dataclass
class Bench:
    name: str
    script: str
    full: list[str]
    quick: list[str]
    rows: Callable[[str, Any], list[Row]]
    json: bool = False
    timeout: float = 3600.0


BENCHES = [
    Bench("startup", "bench_startup.py", [], ["--quick"], rows_startup, json=True),
    Bench("card", "bench_card.py", [], ["--quick"], rows_card, json=True),
    Bench("setup", "bench_setup_time.py", [], ["--quick"], rows_setup, json=True),
    Bench("call_cpu", "bench_call_cpu.py", [], ["--quick"], rows_call_cpu, json=True),
    Bench("engine", "bench_engine.py", [], ["--calls", "6", "--seconds", "1", "--rounds", "2"],
          rows_engine),
    Bench("audio", "bench_audio.py", ["--minutes", "3"], ["--minutes", "0.5"], rows_audio),
    Bench("store", "bench_store.py", [],
          ["--contacts", "10000", "--calls", "20000", "--samples", "200"], rows_store),
    Bench("import", "bench_import.py", [], ["--rows", "20000", "--runs", "1"], rows_import),
    # needs root (network namespaces): the same seeded loss pattern for every phone
    Bench("voice", "bench_voice.py", [], ["--only", "softphone", "--only", "baresip",
                                          "--codec", "opus"], rows_voice, json=True),
    # needs root (network namespaces): direct, ICE and TURN calls across two NAT routers
    Bench("nat", "bench_nat_setup.py", [], ["--calls", "2"], rows_nat),
]


def run_one(b: Bench, quick: bool, tmp: Path) -> tuple[list[Row], str, float]:
    argv = [PYTHON, str(ROOT / "bench" / b.script), *(b.quick if quick else b.full)]
    jpath = tmp / f"{b.name}.json"
    if b.json:
        argv += ["--json", str(jpath)]
    print(f"== {b.name}: {' '.join(argv[1:])}", flush=True)
    t0 = time.monotonic()
    try:
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=b.timeout)
        out = proc.stdout + (f"\n[stderr tail]\n{proc.stderr[-3000:]}" if proc.returncode else "")
        failed = proc.returncode != 0
    except subprocess.TimeoutExpired as exc:
        out = f"timed out after {b.timeout:.0f} s\n{exc.stdout or ''}"
        failed = True
    took = time.monotonic() - t0
    print(out, flush=True)
    rows: list[Row] = []
    try:
        data = json.loads(jpath.read_text()) if b.json and jpath.exists() else None
        if not b.json or data is not None:
            rows = b.rows(out, data)
    except Exception as exc:
        rows = [Row(b.name, f"could not read the figures: {exc}", "-")]
    if failed or not rows:
        rows.append(Row(b.name, "benchmark failed (see its output below)", "-"))
    return rows, out, took


def table(rows: list[Row]) -> str:
    lines = ["| bench | figure | softphone | peers / floor (same run) | target | met |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r.bench} | {r.metric} | {r.ours} | {r.peer} | {r.target} | {r.met} |"
              for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    ap.add_argument("--only", action="append", choices=[b.name for b in BENCHES])
    ap.add_argument("--output", type=Path, default=RESULTS / "latest.md")
    args = ap.parse_args(argv)
    chosen = [b for b in BENCHES if not args.only or b.name in args.only]
    started = datetime.now(UTC)
    rows: list[Row] = []
    details: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-all-") as tmp:
        for b in chosen:
            r, out, took = run_one(b, args.quick, Path(tmp))
            rows += r
            details.append(f"### {b.name} ({took:.0f} s)\n\n```\n{out.strip()}\n```\n")
    head = (f"# softphone benchmarks: {started:%Y-%m-%d %H:%M} UTC, "
            f"{'quick' if args.quick else 'full'} run\n\n"
            f"{platform.platform()}, {platform.python_version()}, "
            f"{_cpus()} CPUs, load average at the end {_load()}\n")
    summary = table(rows)
    text = f"{head}\n{summary}\n\n## Output of each benchmark\n\n" + "\n".join(details)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"\n{head}\n{summary}\n\n(written to {args.output})")
    return 0


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
