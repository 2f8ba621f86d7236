#!/usr/bin/env python3
"""Turns the JSON lines of a `benches/run` session into tables and charts.

    benches/report.py RESULTS.jsonl OUT_DIR
    benches/report.py --line < ONE_RUN.json      (a one-line summary of one run)

Prints the tables (absolute figures, ratios, targets of issue 6) on stdout, and
writes OUT_DIR/tables.md (the same, in Markdown), OUT_DIR/latency.svg (delivery
latency percentiles per server and scenario) and OUT_DIR/throughput.svg
(deliveries per second against client count, per server). Standard library only.
"""

import json
import math
import sys
from pathlib import Path

SERVERS = ["huddle", "socketioxide", "node", "floor", "floor-64"]
COLORS = {
    "huddle": "#d1495b",
    "socketioxide": "#edae49",
    "node": "#00798c",
    "floor": "#30638e",
    "floor-64": "#9fb7d0",
    "huddle+mariadb": "#8f2d56",
    "node+sequelize": "#66a182",
}


def load(path):
    runs = []
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line.startswith("{"):
            runs.append(json.loads(line))
    return runs


def find(runs, scenario, server):
    for r in runs:
        if r["scenario"] == scenario and r["server"] == server:
            return r
    return None


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


def fmt_num(v, digits=0):
    if v is None:
        return "n/a"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def fmt_ratio(v):
    return "n/a" if v is None else f"{v:.2f}x"


def ms(us):
    return None if us is None else us / 1000.0


def row_of(r):
    mem = r.get("memory") or {}
    lat = r["latency_us"]
    has_lat = lat["count"] > 0
    cpu = (r.get("cpu") or {}).get("server")
    return {
        "per_core": r["deliveries_per_s"] / cpu if r["senders"] and cpu else None,
        "clients": r["clients"],
        "deliveries": r["deliveries_per_s"] if r["senders"] else None,
        "messages": r["messages_per_s"] if r["senders"] else None,
        "p50": ms(lat["p50"]) if has_lat else None,
        "p99": ms(lat["p99"]) if has_lat else None,
        "p999": ms(lat["p999"]) if has_lat else None,
        "connect": r["connect"]["per_s"],
        "bytes": r.get("delivery_bytes") if r["senders"] else None,
        "rss_conn": mem.get("per_connection_bytes"),
        "peak": (mem.get("peak_kib") or 0) / 1024 if mem else None,
        "ok": r["ok"],
        "cpu_server": (r.get("cpu") or {}).get("server"),
        "cpu_gen": (r.get("cpu") or {}).get("generator"),
        "gen_threads": (r.get("cpu") or {}).get("generator_threads", 1),
        "missing": r["missing_deliveries"],
        "db": r.get("db"),
    }


SCENARIOS = [
    ("fanout", "Fan-out"),
    ("bigroom", "Big room"),
    ("fanout-deep", "Fan-out, pipelined"),
    ("bigroom-deep", "Big room, pipelined"),
    ("latency", "Latency at a fixed rate"),
    ("idle", "Idle connections"),
    ("persisted", "Persisted"),
    ("polling", "Long-polling"),
]


def title_of(runs, scenario, name):
    r = next((x for x in runs if x["scenario"] == scenario), None)
    if r is None:
        return name
    what = f"{r['clients']:,} {r['transport']} clients in {r['rooms']} room{'s' if r['rooms'] > 1 else ''}"
    if r["senders"]:
        what += f", {r['senders']} sender{'s' if r['senders'] > 1 else ''}, pace {r['pace']}"
    else:
        what += ", nobody sending"
    return f"{name}: {what}"


def scenario_table(runs, scenario):
    servers = [r["server"] for r in runs if r["scenario"] == scenario]
    if not servers:
        return None
    base = find(runs, scenario, "huddle") or find(runs, scenario, "huddle+mariadb")
    head = ["server", "clients", "B/delivery", "deliveries/s", "huddle ÷ it", "per server core-s", "huddle ÷ it", "msgs/s", "p50 ms", "p99 ms",
            "p99.9 ms", "connects/s", "RSS/conn B", "peak RSS MiB", "server CPU", "gen CPU", "ok"]
    rows = []
    for s in servers:
        r = find(runs, scenario, s)
        x = row_of(r)
        rel = rel_core = None
        if base and x["deliveries"]:
            rel = ratio(base["deliveries_per_s"], x["deliveries"])
            rel_core = ratio(row_of(base)["per_core"], x["per_core"])
        if scenario == "idle" and base:
            rel = ratio(x["rss_conn"], (base.get("memory") or {}).get("per_connection_bytes"))
        ok = "yes" if x["ok"] else f"NO (missing {x['missing']})"
        if x["cpu_gen"] is not None and x["deliveries"] and x["cpu_gen"] >= 0.9 * x["gen_threads"]:
            ok += "; generator-bound"
        if x["db"]:
            ok += f"; db {x['db']['found']}/{x['db']['acked']} acked found"
        rows.append([s, fmt_num(x["clients"]), fmt_num(x["bytes"]), fmt_num(x["deliveries"]), fmt_ratio(rel),
                     fmt_num(x["per_core"]), fmt_ratio(rel_core),
                     fmt_num(x["messages"]), fmt_num(x["p50"], 2), fmt_num(x["p99"], 2),
                     fmt_num(x["p999"], 2), fmt_num(x["connect"]), fmt_num(x["rss_conn"]),
                     fmt_num(x["peak"], 1), fmt_num(x["cpu_server"], 2), fmt_num(x["cpu_gen"], 2), ok])
    return head, rows


def targets(runs):
    out = []

    def val(scenario, server, key):
        r = find(runs, scenario, server)
        if r is None:
            return None
        if key == "deliveries":
            return r["deliveries_per_s"]
        if key == "per_core":
            return row_of(r)["per_core"]
        if key == "messages":
            return r["messages_per_s"]
        if key == "p99":
            return r["latency_us"]["p99"] if r["latency_us"]["count"] else None
        if key == "rss_conn":
            return (r.get("memory") or {}).get("per_connection_bytes")
        raise KeyError(key)

    def add(name, measured, target, met):
        out.append([name, measured, target, "n/a" if met is None else ("met" if met else "MISSED")])

    for sc, label in (("fanout", "fan-out, 1 in flight"), ("bigroom", "big room, 1 in flight"),
                      ("fanout-deep", "fan-out, pipelined"), ("bigroom-deep", "big room, pipelined")):
        h, hc = val(sc, "huddle", "deliveries"), val(sc, "huddle", "per_core")
        for peer, goal in (("floor", 0.85), ("socketioxide", 1.3), ("node", 2.8)):
            r = ratio(h, val(sc, peer, "deliveries"))
            rc = ratio(hc, val(sc, peer, "per_core"))
            add(f"{label}: deliveries/s, huddle ÷ {peer}", f"{fmt_ratio(r)} (per server core-s: {fmt_ratio(rc)})",
                f">= {goal}x", None if r is None else r >= goal)
    hp, fp = val("latency", "huddle", "p99"), val("latency", "floor", "p99")
    r = ratio(hp, fp)
    rate = next((x["pace"] for x in runs if x["scenario"] == "latency"), "rate:?").split(":")[-1]
    add(f"p99 latency at {float(rate):,.0f} deliveries/s, huddle ÷ floor",
        f"{fmt_ratio(r)} ({fmt_num(ms(hp), 2)} ms vs {fmt_num(ms(fp), 2)} ms)", "<= 1.1x",
        None if r is None else r <= 1.1)
    b = val("idle", "huddle", "rss_conn")
    add("RSS per idle WebSocket connection (huddle)",
        "n/a" if b is None else f"{b / 1024:.1f} KiB", "<= 8 KiB", None if b is None else b <= 8192)
    hm, hdb, nseq = (val("persisted", "huddle", "messages"), val("persisted", "huddle+mariadb", "messages"),
                     val("persisted", "node+sequelize", "messages"))
    r = ratio(hdb, hm)
    add("persisted msgs/s, huddle+mariadb ÷ huddle in memory", fmt_ratio(r), ">= 0.8x",
        None if r is None else r >= 0.8)
    r = ratio(hdb, nseq)
    add("persisted msgs/s, huddle+mariadb ÷ node+sequelize", fmt_ratio(r), ">= 3x",
        None if r is None else r >= 3)
    for server in ("huddle+mariadb", "node+sequelize"):
        run = find(runs, "persisted", server)
        if run and run.get("db"):
            d = run["db"]
            add(f"{server}: acknowledged messages in MariaDB", f"{d['found']} of {d['acked']} (missing {d['missing']})",
                "zero loss", d["missing"] == 0 and d["duplicate_acks"] == 0)
    return ["target", "measured", "goal", "verdict"], out


def text_table(head, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    line = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(r) for r in rows])


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# ---- SVG ------------------------------------------------------------------

def svg_doc(w, h, body):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            f'font-family="sans-serif" font-size="12">\n<rect width="{w}" height="{h}" fill="white"/>\n'
            + "\n".join(body) + "\n</svg>\n")


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def latency_svg(runs):
    groups = [(sc, label) for sc, label in (("fanout", "fan-out, 1 in flight"), ("bigroom", "big room, 1 in flight"),
                                            ("latency", "fan-out at a fixed rate"), ("polling", "long-polling"))
              if any(r["scenario"] == sc and r["latency_us"]["count"] for r in runs)]
    pcts = [("p50", 1.0), ("p99", 0.65), ("p999", 0.35)]
    servers = [s for s in SERVERS if any(r["server"] == s for r in runs)]
    values = [r["latency_us"][p] for r in runs for p, _ in pcts if r["latency_us"]["count"]]
    if not groups or not values:
        return None
    lo = 10 ** math.floor(math.log10(max(1, min(values))))
    hi = 10 ** math.ceil(math.log10(max(values)))
    w, h, left, top, bottom = 900, 420, 70, 40, 70
    plot_h = h - top - bottom
    gw = (w - left - 20) / len(groups)
    bw = gw / (len(servers) * len(pcts) + 2)
    y = lambda v: top + plot_h - (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * plot_h
    body = [f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="15">Delivery latency (log scale, ms): '
            'p50 / p99 / p99.9 per server</text>']
    d = lo
    while d <= hi:
        body.append(f'<line x1="{left}" x2="{w - 20}" y1="{y(d):.1f}" y2="{y(d):.1f}" stroke="#ddd"/>')
        body.append(f'<text x="{left - 6}" y="{y(d) + 4:.1f}" text-anchor="end">{d / 1000:g}</text>')
        d *= 10
    for gi, (sc, label) in enumerate(groups):
        x0 = left + gi * gw + bw
        for si, s in enumerate(servers):
            r = find(runs, sc, s)
            for pi, (p, alpha) in enumerate(pcts):
                x = x0 + (si * len(pcts) + pi) * bw
                if r is None or not r["latency_us"]["count"]:
                    continue
                v = r["latency_us"][p]
                body.append(f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bw * 0.9:.1f}" height="{top + plot_h - y(v):.1f}" '
                            f'fill="{COLORS[s]}" fill-opacity="{alpha}"><title>{esc(s)} {esc(label)} {p}: '
                            f'{v / 1000:.2f} ms</title></rect>')
        body.append(f'<text x="{left + gi * gw + gw / 2:.1f}" y="{top + plot_h + 18}" text-anchor="middle">{esc(label)}</text>')
    for si, s in enumerate(servers):
        lx = left + si * 150
        body.append(f'<rect x="{lx}" y="{h - 28}" width="12" height="12" fill="{COLORS[s]}"/>'
                    f'<text x="{lx + 16}" y="{h - 18}">{esc(s)}</text>')
    body.append(f'<text x="{w - 20}" y="{h - 18}" text-anchor="end">bars per server: p50, p99, p99.9 (lighter)</text>')
    return svg_doc(w, h, body)


def throughput_svg(runs):
    points = {}
    for r in runs:
        if r["scenario"] in ("fanout-deep", "sweep") and r["senders"]:
            points.setdefault(r["server"], {})[r["clients"]] = r["deliveries_per_s"]
    points = {s: sorted(v.items()) for s, v in points.items() if s in SERVERS}
    if not points:
        return None
    xs = sorted({c for v in points.values() for c, _ in v})
    ymax = max(d for v in points.values() for _, d in v) * 1.1 or 1
    w, h, left, top, bottom, right = 900, 420, 90, 40, 70, 30
    plot_w, plot_h = w - left - right, h - top - bottom
    lx = lambda c: left + (math.log(c) - math.log(xs[0])) / ((math.log(xs[-1]) - math.log(xs[0])) or 1) * plot_w
    ly = lambda d: top + plot_h - d / ymax * plot_h
    body = [f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="15">Fan-out throughput: message:new '
            'deliveries per second vs clients (rooms of 100, one sender per room, pipelined)</text>']
    step = 10 ** math.floor(math.log10(ymax))
    if ymax / step < 4:
        step /= 2
    t = 0.0
    while t <= ymax:
        body.append(f'<line x1="{left}" x2="{w - right}" y1="{ly(t):.1f}" y2="{ly(t):.1f}" stroke="#ddd"/>'
                    f'<text x="{left - 6}" y="{ly(t) + 4:.1f}" text-anchor="end">{t:,.0f}</text>')
        t += step
    for c in xs:
        body.append(f'<text x="{lx(c):.1f}" y="{top + plot_h + 18}" text-anchor="middle">{c:,}</text>')
    for s, pts in points.items():
        path = " ".join(f"{'M' if i == 0 else 'L'}{lx(c):.1f},{ly(d):.1f}" for i, (c, d) in enumerate(pts))
        body.append(f'<path d="{path}" fill="none" stroke="{COLORS[s]}" stroke-width="2.5"/>')
        for c, d in pts:
            body.append(f'<circle cx="{lx(c):.1f}" cy="{ly(d):.1f}" r="4" fill="{COLORS[s]}">'
                        f'<title>{esc(s)}, {c} clients: {d:,.0f}/s</title></circle>')
    for si, s in enumerate(points):
        x = left + si * 150
        body.append(f'<rect x="{x}" y="{h - 28}" width="12" height="12" fill="{COLORS[s]}"/>'
                    f'<text x="{x + 16}" y="{h - 18}">{esc(s)}</text>')
    body.append(f'<text x="{w - right}" y="{h - 18}" text-anchor="end">clients (log scale)</text>')
    return svg_doc(w, h, body)


def summary_line(text):
    r = json.loads(text)
    lat = r["latency_us"]
    mem = r.get("memory") or {}
    parts = [f"{r['connect']['ready']}/{r['connect']['attempted']} ready ({r['connect']['per_s']:,.0f}/s)"]
    if r["senders"]:
        parts += [f"{r['deliveries_per_s']:,.0f} deliveries/s", f"{r['messages_per_s']:,.0f} msgs/s",
                  f"p50 {lat['p50'] / 1000:.2f} ms", f"p99 {lat['p99'] / 1000:.2f} ms"]
    if mem:
        parts.append(f"{mem['per_connection_bytes'] / 1024:.1f} KiB/conn, peak {mem['peak_kib'] / 1024:.1f} MiB")
    if r.get("db"):
        parts.append(f"db {r['db']['found']}/{r['db']['acked']} acked found")
    parts.append("ok" if r["ok"] else f"NOT OK: missing {r['missing_deliveries']}, dropped {r['dropped']}, errors {r['errors']}")
    return "   " + ", ".join(parts)


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--line":
        print(summary_line(sys.stdin.read()))
        return
    if len(sys.argv) != 3:
        sys.exit("usage: report.py RESULTS.jsonl OUT_DIR")
    runs = load(sys.argv[1])
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    md = []
    for sc, name in SCENARIOS + [("sweep", "Throughput against client count (rooms of 100, one sender per room, pipelined)")]:
        title = title_of(runs, sc, name) if sc != "sweep" else name
        table = scenario_table(runs, sc) if sc != "sweep" else None
        if sc == "sweep":
            sweep = [r for r in runs if r["scenario"] in ("sweep", "fanout-deep")]
            if not sweep:
                continue
            clients = sorted({r["clients"] for r in sweep})
            head = ["server"] + [f"{c:,} clients" for c in clients]
            rows = []
            for s in SERVERS:
                cells = []
                for c in clients:
                    r = next((x for x in sweep if x["server"] == s and x["clients"] == c), None)
                    cells.append(fmt_num(r["deliveries_per_s"]) if r else "n/a")
                if any(x != "n/a" for x in cells):
                    rows.append([s] + cells)
            table = (head, rows)
        if table is None:
            continue
        print(f"\n== {title}\n" + text_table(*table))
        md.append(f"### {title}\n\n" + md_table(*table))
    head, rows = targets(runs)
    print("\n== Targets of issue 6\n" + text_table(head, rows))
    md.append("### Targets of issue 6\n\n" + md_table(head, rows))
    (out / "tables.md").write_text("\n\n".join(md) + "\n")
    for name, svg in (("latency.svg", latency_svg(runs)), ("throughput.svg", throughput_svg(runs))):
        if svg:
            (out / name).write_text(svg)
            print(f"wrote {out / name}")


if __name__ == "__main__":
    main()
