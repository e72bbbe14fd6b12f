"""Turns the harness's measurements into bench/results/latest.md and latest.svg.

Every number printed here is a median (or a sum, for errors) of runs in the data; nothing is
assumed. The SVG is written by hand so that no plotting package is needed.
"""
from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
from html import escape
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
REPO = BENCH.parent
WORK = BENCH / ".work"

GANNET = "gannet"
BASELINE = "node"
FLOOR = "reference"


# --------------------------------------------------------------------------------------------
# Machine and versions


def _cmd(argv: list[str], pattern: str | None = None) -> str:
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    out = (p.stdout + p.stderr).strip()
    if pattern:
        m = re.search(pattern, out)
        return m.group(1) if m else out.splitlines()[0] if out else "?"
    return out.splitlines()[0] if out else "?"


def machine_info() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    os_name = "Linux"
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "os": os_name,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
    }


def versions(cfg) -> dict:
    v = {
        "wrk": _cmd(["wrk", "-v"], r"wrk (\S+)"),
        "node": _cmd(["node", "--version"]),
        "go": _cmd(["go", "version"], r"go(\d[\d.]*)"),
        "nginx": _cmd(["nginx", "-v"], r"nginx/(\S+)"),
        "bun": _cmd([str(WORK / "node_modules" / ".bin" / "bun"), "--version"]),
        "gcc": _cmd(["gcc", "-dumpfullversion"]),
    }
    lock = WORK / "hyper" / "Cargo.lock"
    if lock.exists():
        text = lock.read_text()
        for crate in ("hyper", "tokio"):
            m = re.search(r'name = "%s"\nversion = "([^"]+)"' % crate, text)
            v[crate] = m.group(1) if m else "?"
    rustc = WORK / "hyper" / "rustc-version"
    if rustc.exists():
        v["rustc"] = rustc.read_text().strip().replace("rustc ", "", 1)
    rev = _cmd(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    v["gannet"] = rev if re.fullmatch(r"[0-9a-f]{6,}", rev) else "no commit yet"
    return v


# --------------------------------------------------------------------------------------------
# Aggregation


def _median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def aggregate(data: dict) -> dict:
    """(server, scenario) -> medians over the rounds that produced a result."""
    by: dict[tuple[str, str], list[dict]] = {}
    for r in data["runs"]:
        by.setdefault((r["server"], r["scenario"]), []).append(r)
    agg = {}
    for key, runs in by.items():
        ok = [r for r in runs if r["ok"]]
        a = {
            "rounds_ok": len(ok),
            "rounds": len(runs),
            "notes": sorted({r["note"] for r in runs if r["note"]}),
            "errors": sum(r["errors"] for r in runs),
        }
        for k in ("rps", "cpu_us_per_req", "cpu_pct", "p50_us", "p99_us", "p999_us", "rss_kib", "target_rate",
                  "client_cpu_pct"):
            a[k] = _median([r.get(k) for r in ok])
        for k in ("rps", "cpu_us_per_req"):
            xs = [r[k] for r in ok if r.get(k) is not None]
            # Half the range over rounds, relative to the median: how far to trust a difference.
            a[k + "_spread"] = ((max(xs) - min(xs)) / 2 / a[k] * 100) if len(xs) > 1 and a[k] else None
        if key[1] == "memory":
            for k in ("rss_idle_kib", "rss_conns_kib", "kib_per_conn", "held", "still_open"):
                a[k] = _median([r["extra"].get(k) for r in ok])
        agg[key] = a
    return agg


# --------------------------------------------------------------------------------------------
# Formatting


def f_int(x) -> str:
    return "—" if x is None else f"{x:,.0f}"


def f_us(x) -> str:
    if x is None:
        return "—"
    if x >= 10_000:
        return f"{x / 1000:,.1f} ms"
    if x >= 1000:
        return f"{x / 1000:.2f} ms"
    return f"{x:.0f} µs"


def f_cpu(x) -> str:
    return "—" if x is None else (f"{x:.2f}" if x < 10 else f"{x:.1f}")


def f_spread(x) -> str:
    return "" if x is None else f" ±{x:.0f}%"


def f_pct(x) -> str:
    return "—" if x is None else f"{x:.0f}%"


def f_ratio(x) -> str:
    return "—" if x is None else f"{x:.2f}×"


def f_mib(kib) -> str:
    return "—" if kib is None else f"{kib / 1024:.1f} MiB"


def _ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def _pct(a, b):
    return None if a is None or not b else (a / b - 1) * 100


# --------------------------------------------------------------------------------------------
# Markdown


def markdown(data: dict) -> str:
    agg = aggregate(data)
    servers = data["servers"]
    label = {s["name"]: s["label"] for s in servers}
    scen = data["scenarios"]
    na = {(n["server"], n["scenario"]): n["why"] for n in data["na"]}
    skipped = {s["name"]: s["skipped"] for s in servers if s["skipped"]}
    cfg = data["config"]
    m = data["machine"]
    v = data["versions"]
    out: list[str] = []
    w = out.append

    w("# Gannet benchmark: results")
    w("")
    if cfg["quick"]:
        w("> **Quick smoke run** (`--quick`): one round of half-second measurements, to check that "
          "the harness works. Do not compare these numbers.")
        w("")
    w(f"Generated by `bench/run.sh` on {data['date']} in {data['elapsed_s'] / 60:.1f} min.")
    w("")
    w("| machine | |")
    w("|---|---|")
    w(f"| CPU | {m['cpu']} |")
    w(f"| cores | {m['cores']} |")
    w(f"| memory | {m['memory_gib']} GiB |")
    w(f"| kernel | {m['kernel']} ({m['os']}) |")
    w(f"| load average at start / end | {' '.join(m.get('loadavg_start', []))} / "
      f"{' '.join(m.get('loadavg_end', []))} |")
    w("")
    pin = (f"server on CPU {cfg['server_cpu']}, load generator on CPU {cfg['client_cpu']}"
           if cfg["server_cpu"] is not None else "no pinning (one CPU)")
    w(f"Method: {pin}; one worker per server; {cfg['rounds']} round(s), servers interleaved "
      f"(each server in turn, then the next round); {cfg['duration_s']:g} s per measurement after "
      f"{cfg['warmup_s']:g} s of warm-up under the same load; medians over rounds, errors summed over rounds. "
      f"Open loop: {cfg['open_duration_s']:g} s at a fixed rate on {cfg['open_conns']} connections "
      f"after {cfg['open_warmup_s']:g} s at that rate. Memory: {cfg['memory_conns']:,} idle keep-alive "
      f"connections. Server CPU time from "
      + ("per-thread `schedstat` (ns)" if data.get("cpu_source") == "schedstat" else "`/proc/<pid>/stat` (10 ms ticks)")
      + ". See `bench/README.md` for what each column means.")
    w("")
    w("Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".")
    w("")
    w("| server | what | status |")
    w("|---|---|---|")
    for s in servers:
        st = f"skipped: {s['skipped']}" if s["skipped"] else "measured"
        w(f"| {s['label']} | {s['what']} | {st} |")
    w("")
    if GANNET in skipped:
        w(f"**Gannet was not measured in this run**: {skipped[GANNET]}. The ratio columns stay empty "
          "until it is.")
        w("")

    names = [s["name"] for s in servers]
    others = [n for n in names if n not in (GANNET, FLOOR)]
    wrk_scen = [s for s in scen if s["kind"] == "wrk"]
    open_scen = [s for s in scen if s["kind"] == "open"]
    mem_scen = [s for s in scen if s["kind"] == "memory"]
    todo_scen = [s for s in scen if s["kind"] == "todo"]

    def get(server, scenario, key):
        a = agg.get((server, scenario))
        return a[key] if a and a["rounds_ok"] else None

    def best(scenario, key, higher):
        cands = [(get(n, scenario, key), n) for n in others]
        cands = [(x, n) for x, n in cands if x is not None]
        if not cands:
            return None, None
        return (max if higher else min)(cands)

    # Summary -------------------------------------------------------------------------------
    w("## Summary")
    w("")
    w("Ratios are Gannet ÷ the other. Throughput (req/s): higher is better. CPU µs per request, "
      "p99 latency and memory per connection: lower is better. \"Best other\" is the best of the "
      "servers other than Gannet and the floor (the syscall-only reference).")
    w("")
    w("| scenario | metric | Gannet | Node.js | Gannet ÷ Node.js | best other | Gannet ÷ best other | floor |")
    w("|---|---|--:|--:|--:|---|--:|--:|")
    rows = []
    for s in wrk_scen:
        rows.append((s, "req/s", "rps", True, f_int))
        rows.append((s, "CPU µs/req", "cpu_us_per_req", False, f_cpu))
    for s in open_scen:
        rows.append((s, "p99", "p99_us", False, f_us))
        rows.append((s, "CPU µs/req", "cpu_us_per_req", False, f_cpu))
    for s in mem_scen:
        rows.append((s, "KiB/conn", "kib_per_conn", False, lambda x: "—" if x is None else f"{x:.1f}"))
    for s, metric, key, higher, fmt in rows:
        g = get(GANNET, s["name"], key)
        nd = get(BASELINE, s["name"], key)
        bv, bn = best(s["name"], key, higher)
        fl = get(FLOOR, s["name"], key)
        w(f"| {s['name']} | {metric} | {fmt(g)} | {fmt(nd)} | {f_ratio(_ratio(g, nd))} | "
          f"{(label[bn] + ' ' + fmt(bv)) if bn else '—'} | {f_ratio(_ratio(g, bv))} | {fmt(fl)} |")
    w("")

    # The story ------------------------------------------------------------------------------
    if any(s["name"] in ("plaintext", "short") for s in wrk_scen):
        w("### The Node.js-versus-Rust table, on this machine")
        w("")
        w("The same comparison the story makes (keep-alive and one connection per request), here on "
          "one core each: Node.js (one process and cluster) against hyper on Tokio, and Gannet. "
          "req/s depends on how much of the machine the server and wrk got; *requests per server "
          "CPU-second* (10⁶ ÷ CPU µs/req) is what one core of the server can carry, and moves much "
          "less between rounds.")
        w("")
        w("| | Node.js | Node.js cluster | hyper (Rust) | hyper vs Node.js | Gannet | Gannet vs hyper | Gannet vs Node.js |")
        w("|---|--:|--:|--:|--:|--:|--:|--:|")
        def per_cpu_second(server, scenario):
            c = get(server, scenario, "cpu_us_per_req")
            return 1e6 / c if c else None

        for name, title, metric in (("plaintext", "keep-alive req/s", "rps"),
                                    ("short", "short connections req/s", "rps"),
                                    ("plaintext", "keep-alive requests per server CPU-second", "cpu"),
                                    ("short", "short connections requests per server CPU-second", "cpu")):
            if not any(s["name"] == name for s in wrk_scen):
                continue
            if metric == "rps":
                nd, nc, hy, g = (get(x, name, "rps") for x in (BASELINE, "node-cluster", "hyper", GANNET))
            else:
                nd, nc, hy, g = (per_cpu_second(x, name) for x in (BASELINE, "node-cluster", "hyper", GANNET))

            def pct(a, b):
                x = _pct(a, b)
                return "—" if x is None else f"{x:+.0f}%"

            w(f"| {title} | {f_int(nd)} | {f_int(nc)} | {f_int(hy)} | {pct(hy, nd)} | {f_int(g)} | "
              f"{pct(g, hy)} | {pct(g, nd)} |")
        w("")

    # Per-scenario tables -------------------------------------------------------------------
    w("## Closed loop (wrk)")
    w("")
    w("wrk keeps every connection busy: as many requests as the server can answer. On 2 cores the "
      "load generator can be the limit (see `wrk CPU`: near 100% means the client, not the server, "
      "set the pace; so does a `server CPU` well below 100%), so read **CPU µs/req** (the server's "
      "own CPU time per answer) next to req/s. `±` is half the range over the rounds.")
    w("")

    def cell_missing(server, scenario):
        if server in skipped:
            return "skipped"
        if (server, scenario) in na:
            return "n/a"
        a = agg.get((server, scenario))
        if a and not a["rounds_ok"]:
            return "failed"
        return None

    footnotes: list[str] = []
    for s in wrk_scen:
        w(f"### {s['name']}: {s['title']}")
        w("")
        w(s["about"])
        w("")
        w("| server | req/s | CPU µs/req | server CPU | wrk CPU | p50 | p99 | errors | RSS |")
        w("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
        for n in names:
            miss = cell_missing(n, s["name"])
            a = agg.get((n, s["name"]))
            if miss or not a:
                why = na.get((n, s["name"])) or skipped.get(n) or (a and "; ".join(a["notes"])) or "not run"
                if n not in skipped and not why.startswith("wrong answer"):
                    footnotes.append(f"{label[n]}: {s['name']} not measured: {why}")
                w(f"| {label[n]} | {miss or 'not run'} | | | | | | | |")
                continue
            part = "" if a["rounds_ok"] == a["rounds"] else f" ({a['rounds_ok']}/{a['rounds']} rounds)"
            w(f"| {label[n]} | {f_int(a['rps'])}{f_spread(a['rps_spread'])}{part} | "
              f"{f_cpu(a['cpu_us_per_req'])}{f_spread(a['cpu_us_per_req_spread'])} | "
              f"{f_pct(a['cpu_pct'])} | {f_pct(a['client_cpu_pct'])} | {f_us(a['p50_us'])} | {f_us(a['p99_us'])} | "
              f"{a['errors']:,} | {f_mib(a['rss_kib'])} |")
        w("")

    if open_scen:
        w("## Open loop (constant rate)")
        w("")
        cal = data.get("calibration")
        if cal:
            w(f"Rates are fractions of Node.js's (one process) {cal['rps']:,.0f} req/s, measured in a "
              "calibration run at the start of this run (GET /, 64 connections). Latency counts from "
              "each request's scheduled send time (no coordinated omission); a server that cannot "
              "keep up shows it in p99 and in `achieved`.")
        else:
            w("No Node.js calibration in this run, so no rate: open-loop scenarios were not measured.")
        w("")
        for s in open_scen:
            w(f"### {s['name']}: {s['title']}")
            w("")
            w("| server | target req/s | achieved | p50 | p99 | p99.9 | server CPU | CPU µs/req | loadgen CPU | errors |")
            w("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
            for n in names:
                miss = cell_missing(n, s["name"])
                a = agg.get((n, s["name"]))
                if miss or not a:
                    why = na.get((n, s["name"])) or (a and "; ".join(a["notes"])) or "not run"
                    if n not in skipped and not why.startswith("wrong answer"):
                        footnotes.append(f"{label[n]}: {s['name']} not measured: {why}")
                    w(f"| {label[n]} | {miss or 'not run'} | | | | | | | | |")
                    continue
                w(f"| {label[n]} | {f_int(a['target_rate'])} | {f_int(a['rps'])} | {f_us(a['p50_us'])} | "
                  f"{f_us(a['p99_us'])} | {f_us(a['p999_us'])} | {f_pct(a['cpu_pct'])} | "
                  f"{f_cpu(a['cpu_us_per_req'])} | {f_pct(a['client_cpu_pct'])} | {a['errors']:,} |")
            w("")

    for s in mem_scen:
        w("## Memory: idle keep-alive connections")
        w("")
        w(f"{s['about']} Node.js closes idle keep-alive connections after 5 s by default; `still open` "
          "says how many were still there when RSS was read. nginx allocates its whole connection "
          "table (`worker_connections`, 20 000 here) at start, so its idle RSS already holds it and "
          "its KiB per connection looks small; compare `RSS with connections` too.")
        w("")
        w("| server | held | still open | RSS idle | RSS with connections | KiB per connection | errors |")
        w("|---|--:|--:|--:|--:|--:|--:|")
        for n in names:
            miss = cell_missing(n, s["name"])
            a = agg.get((n, s["name"]))
            if miss or not a:
                w(f"| {label[n]} | {miss or 'not run'} | | | | | |")
                continue
            kpc = a["kib_per_conn"]
            w(f"| {label[n]} | {f_int(a['held'])} | {f_int(a['still_open'])} | {f_mib(a['rss_idle_kib'])} | "
              f"{f_mib(a['rss_conns_kib'])} | {'—' if kpc is None else f'{kpc:.1f}'} | {a['errors']:,} |")
        w("")

    if todo_scen:
        w("## Not measured yet")
        w("")
        for s in todo_scen:
            w(f"- **{s['name']}** ({s['title']}): {s['about']}")
        w("")

    w("## Notes")
    w("")
    seen = set()
    for n in data["notes"] + footnotes:
        if n not in seen:
            seen.add(n)
            w(f"- {n}")
    if not seen:
        w("- none")
    w("")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# SVG chart

PALETTE = {
    "gannet": "#d62728", "node": "#2ca02c", "node-cluster": "#98df8a", "go": "#17becf",
    "hyper": "#ff7f0e", "bun": "#e7ba52", "nginx": "#1f77b4", "reference": "#7f7f7f",
}


def svg(data: dict) -> str:
    """Small multiples: one panel per scenario and metric, one bar per server."""
    agg = aggregate(data)
    servers = [s for s in data["servers"] if not s["skipped"]]
    label = {s["name"]: s["label"] for s in data["servers"]}
    panels = []
    for s in data["scenarios"]:
        if s["kind"] == "wrk":
            panels.append((f"{s['name']}: req/s (higher is better)", s["name"], "rps", f_int))
            panels.append((f"{s['name']}: server CPU µs per request (lower is better)", s["name"],
                           "cpu_us_per_req", f_cpu))
        elif s["kind"] == "open":
            panels.append((f"{s['name']}: p99 latency (lower is better)", s["name"], "p99_us", f_us))
            panels.append((f"{s['name']}: server CPU µs per request (lower is better)", s["name"],
                           "cpu_us_per_req", f_cpu))
        elif s["kind"] == "memory":
            panels.append(("memory: RSS with idle connections (lower is better)", s["name"], "rss_kib", f_mib))
            panels.append(("memory: KiB per idle connection (lower is better)", s["name"], "kib_per_conn",
                           lambda x: "—" if x is None else f"{x:.1f} KiB"))
    bar_h, gap, label_w, bar_w, val_w, pad = 14, 3, 130, 230, 90, 12
    panel_w = label_w + bar_w + val_w
    cols = 2
    panel_h = 22 + len(servers) * (bar_h + gap) + 10
    head_h = 64
    rows = (len(panels) + cols - 1) // cols
    width = cols * panel_w + (cols + 1) * pad
    height = head_h + rows * panel_h + pad
    m = data["machine"]
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
         f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">',
         f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
         f'<text x="{pad}" y="22" font-size="16" font-weight="bold">Gannet benchmark{" (quick smoke run)" if data["config"]["quick"] else ""}</text>',
         f'<text x="{pad}" y="40" fill="#444">{escape(m["cpu"])}, {m["cores"]} cores, Linux {escape(m["kernel"])}, '
         f'{escape(data["date"])}; server on 1 core, medians of {data["config"]["rounds"]} round(s)</text>']
    x = pad
    for s in servers:
        o.append(f'<rect x="{x}" y="48" width="10" height="10" fill="{PALETTE.get(s["name"], "#999")}"/>')
        o.append(f'<text x="{x + 13}" y="57">{escape(s["label"])}</text>')
        x += 20 + 7 * len(s["label"])
    for i, (title, scen, key, fmt) in enumerate(panels):
        px = pad + (i % cols) * (panel_w + pad)
        py = head_h + (i // cols) * panel_h
        o.append(f'<text x="{px}" y="{py + 14}" font-weight="bold">{escape(title)}</text>')
        vals = []
        for s in servers:
            a = agg.get((s["name"], scen))
            vals.append(a[key] if a and a["rounds_ok"] and a.get(key) is not None else None)
        vmax = max([v for v in vals if v is not None] or [1]) or 1
        for j, (s, v) in enumerate(zip(servers, vals)):
            y = py + 22 + j * (bar_h + gap)
            weight = ' font-weight="bold"' if s["name"] == GANNET else ""
            o.append(f'<text x="{px + label_w - 6}" y="{y + bar_h - 3}" text-anchor="end"{weight}>'
                     f'{escape(label[s["name"]])}</text>')
            if v is None:
                o.append(f'<text x="{px + label_w + 2}" y="{y + bar_h - 3}" fill="#999">n/a</text>')
                continue
            wpx = max(1.0, bar_w * v / vmax)
            o.append(f'<rect x="{px + label_w}" y="{y}" width="{wpx:.1f}" height="{bar_h}" '
                     f'fill="{PALETTE.get(s["name"], "#999")}"/>')
            o.append(f'<text x="{px + label_w + wpx + 4:.1f}" y="{y + bar_h - 3}"{weight}>{escape(fmt(v))}</text>')
    o.append("</svg>")
    return "\n".join(o) + "\n"


if __name__ == "__main__":
    import json
    import sys

    d = json.loads(Path(sys.argv[1]).read_text())
    Path(sys.argv[2]).write_text(markdown(d))
    if len(sys.argv) > 3:
        Path(sys.argv[3]).write_text(svg(d))
