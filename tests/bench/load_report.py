"""The load test's figures as Markdown: one table of points, one of where PostgreSQL's backends
spent the window, and what the load target asks to show."""

from __future__ import annotations

import statistics
from typing import Any

from common import OTHERS_LIMIT, Result, Skipped

FILING_P99_MS = 50.0  # the limit at 256 agents at ten times a realistic pace
# run.py's numbers and names of the load test's targets (its table and JSON, like the others').
LOAD_TARGETS = (("9a", "PostgreSQL filing p99, 256 agents at 10x pace"),
                ("9b", "PostgreSQL saturation against the raw prototype, side by side"))


def _three(lat: dict[str, float]) -> str:
    if not lat["n"]:
        return "–"
    return f"{lat['p50']:.0f} / {lat['p95']:.0f} / {lat['p99']:.0f}"


def _ok(r: dict[str, Any]) -> str:
    return "yes" if r["chain_ok"] else "**BROKEN**"


def _cores(r: dict[str, Any]) -> str:
    if r["server_cpu"] != r["server_cpu"]:  # SQLite: the database runs in the client's processes
        return "in the client"
    return f"{r['server_cpu']:.2f} (+{r['server_shared_cpu']:.2f})"


def points_table(points: list[dict[str, Any]]) -> str:
    lines = [
        "| Point | Agents | Offered calls/s (writes/s) | Audited writes/s done | Verification p50/p95/p99 ms "
        "| Filing p50/p95/p99 ms | Page p50/p95/p99 ms | Ticket list p99 ms | Lost | Doubled | Counts match "
        "| Chain | Errors | Client CPU | Server CPU (+shared) | Other on the machine "
        "| CPU ms a write (ceiling writes/s) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|:-:|--:|--:|--:|--:|--:|",
    ]
    for r in points:
        lat = r["latency_ms"]
        lines.append(
            f"| {r['label']} | {r['agents']} | {r['offered_calls_s']:.1f} ({r['offered_writes_s']:.0f}) | "
            f"{r['writes_s']:.0f} | {_three(lat['verify'])} | **{_three(lat['file'])}** | {_three(lat['page'])} | "
            f"{lat['list']['p99']:.0f} | {r['lost']} | {r['doubled']} | "
            f"{'yes' if r['counts_match'] and not r['unreported'] else 'NO'} | "
            f"{_ok(r)} | {sum(r['errors'].values())} | {r['client_cpu']:.2f} | "
            f"{_cores(r)} | {r['other_cpu']:.2f} | {r['cpu_ms_per_write']:.1f} ({r['cpu_ceiling_writes_s']:.0f}) |"
        )
    return "\n".join(lines)


def waits_table(points: list[dict[str, Any]]) -> str:
    states = sorted({s for r in points for s in r.get("backends", {})})
    if not states:
        return ""
    lines = [
        "| Point | " + " | ".join(states) + " | Commits/s | WAL fsyncs/s | Commits per fsync | Loop lag p99 ms "
        "| Thread/connection wait p99 ms | Agent wait p99 ms (abandoned) | Busiest worker CPU "
        "| Client CPU: tickets code / generator "
        "| Waiting for a CPU: client / server / machine | A write's wait for the WAL / the lock, ms |",
        "|---|" + "--:|" * (len(states) + 10),
    ]
    for r in points:
        if "backends" not in r:
            continue
        lines.append(
            f"| {r['label']} | "
            + " | ".join(f"{r['backends'].get(s, 0):.2f}" for s in states)
            + f" | {r.get('commits_per_s', float('nan')):.0f} | {r.get('wal_syncs_per_s', float('nan')):.0f} | "
            f"{r.get('commits_per_sync', float('nan')):.1f} | {r['loop_lag_p99_ms']:.0f} | "
            f"{r['pool_wait_p99_ms']:.0f} | "
            f"{r['agent_wait_p99_ms']:.0f} ({r['abandoned']}) | "
            f"{r['client_cpu_max_worker']:.2f} | {r['api_cpu']:.2f} / {r['generator_cpu']:.2f} | "
            f"{r['client_run_queue_wait']:.2f} / {r['server_run_queue_wait']:.2f} / {r['cpu_pressure'] * 100:.0f}% | "
            f"{r['wal_wait_ms_per_write']:.1f} / {r['lock_wait_ms_per_write']:.1f} |"
        )
    return "\n".join(lines)


def targets(out: dict[str, Any], max_load: float) -> list[dict[str, Any]]:
    """The load test's judged targets: filing p99 at 256 agents (with nothing lost or doubled and
    the chain verified) and the saturation against the raw prototype measured side by side. Each
    is judged only if the 1-minute load average stayed at most `max_load` while it was measured."""
    out_targets = []
    at256 = [r for r in out["points"] if r["agents"] == 256 and r["backend"] == "postgresql" and not r["via_bouncer"]
             and r["interval_s"] == 18.0 and r.get("side", "deskapp") == "deskapp"]
    if at256:
        p99s = sorted(r["latency_ms"]["file"]["p99"] for r in at256)
        p99 = statistics.median(p99s)
        lost, doubled = sum(r["lost"] for r in at256), sum(r["doubled"] for r in at256)
        chain = all(r["chain_ok"] for r in at256)
        loads = _before(out, at256[0])
        out_targets.append({
            "number": "9a", "name": "filing p99 at 256 agents (10x pace), ms", "value": p99, "min": p99s[0],
            "max": p99s[-1], "runs": len(p99s), "target": "< 50, nothing lost or doubled, chain verified",
            "met": p99 < FILING_P99_MS and lost == 0 and doubled == 0 and chain, "lost": lost, "doubled": doubled,
            "chain_ok": chain, "load_average": loads or None, "others_cpu": _others(at256),
        })
    sat = out.get("saturation")
    if sat and "prototype" in sat:
        loads = _before(out, sat)
        out_targets.append({
            "number": "9b",
            "name": "saturation, deskapp / raw prototype (audited writes/s within the limit, side by side)",
            "value": sat["ratio"],
            "target": f">= {sat['target_ratio']:.2f} (1.5 x the issue's {sat['issue_ratio']:.1f})",
            "met": sat["met"], "deskapp_writes_s": sat["writes_s"], "prototype_writes_s": sat["prototype"]["writes_s"],
            "target_ratio": sat["target_ratio"], "points_a_side": sat.get("points_a_side"),
            "load_average": loads or None, "others_cpu": _others(sat.get("points") or []),
        })
    for t in out_targets:
        # The test's own agents and server fill the cores (the load average passes them by design):
        # judged on the load average before its first point and on what the rest took meanwhile.
        t["judged"] = (t["load_average"] is not None and t["load_average"][0] <= max_load
                       and t["others_cpu"] is not None and t["others_cpu"] <= OTHERS_LIMIT)
    return out_targets


def _before(out: dict[str, Any], measured: dict[str, Any]) -> list[float]:
    """The load average before the load test's first point (`load_before`), the one figure of
    it its own points do not raise; from older JSON, before this measurement's first point."""
    if isinstance(out.get("load_before"), int | float):
        return [out["load_before"]]
    return (measured.get("load_average") or [])[:1]


def _others(points: list[dict[str, Any]]) -> float | None:
    """The most CPU (cores) the rest of the machine took in any of these points (load_probe)."""
    seen = [r["other_cpu"] for r in points if isinstance(r.get("other_cpu"), int | float)]
    return max(seen) if seen else None


def _verdict(t: dict[str, Any], max_load: float) -> str:
    met = "met" if t["met"] else "not met"
    if t["judged"]:
        return f"**{met}**"
    load, others = t["load_average"], t.get("others_cpu")
    if others is not None and others > OTHERS_LIMIT:
        return f"**{met}, not judged** (the rest of the machine took up to {others:.2f} cores > {OTHERS_LIMIT:g})"
    return f"**{met}, not judged** (load average {load[0]:.1f} > {max_load:g} before it)" if load else f"**{met}**"


def must_show(out: dict[str, Any]) -> list[str]:
    lines = []
    max_load = out.get("max_load", float("inf"))
    for t in out.get("targets") or targets(out, max_load):
        load, others = t["load_average"], t.get("others_cpu")
        at = (f", load average {load[0]:.1f} before it" if load else "") + (
            f", the rest of the machine up to {others:.2f} cores" if others is not None else "")
        if t["name"].startswith("filing"):
            spread = f" (median of {t['runs']} runs, min {t['min']:.0f}, max {t['max']:.0f})" if t["runs"] > 1 else ""
            lines.append(f"- 256 agents at 10x pace on PostgreSQL: filing p99 {t['value']:.0f} ms{spread} "
                         "(target < 50), "
                         f"lost {t['lost']}, doubled {t['doubled']}, chain {'verified' if t['chain_ok'] else 'BROKEN'}"
                         f"{at}: {_verdict(t, max_load)}")
        else:
            sat = out["saturation"]
            proto = sat["prototype"]
            lines.append(
                f"- Saturation side by side: deskapp {t['deskapp_writes_s']:.0f} audited writes/s within the limit "
                f"({sat['at']}; first past it: {sat['first_failed'] or 'none'}), the raw prototype "
                f"{t['prototype_writes_s']:.0f} ({proto['at']}; first past it: {proto['first_failed'] or 'none'}): "
                f"deskapp / prototype **{t['value']:.2f}** (target {t['target']}: the issue's 106-115 against "
                f"174-185 writes/s in one run){at}: {_verdict(t, max_load)}. Their points alternate in one run "
                f"(tests/bench/load_saturation.py); criterion: {sat['criterion']}.")
    sat = out.get("saturation")
    if sat:
        failed = (f"; first past the limit: {sat['first_failed']} ({sat['first_failed_writes_s']:.0f} writes/s done)"
                  if sat["first_failed"] else "; no step passed the limit")
        lines.append(f"- Saturation of deskapp alone: {sat['writes_s']:.0f} audited writes/s within the limit "
                     f"({sat['at']}){failed} (issue 14's >= 500 on a quiet machine: "
                     f"{'met' if sat['writes_s'] >= 500 else 'not met'}; a figure of the machine's state, "
                     "the ratio above is the target).")
    return lines


def markdown(out: dict[str, Any]) -> str:
    settings = out["settings"]
    points = out["points"] + ((out["saturation"] or {}).get("points") or [])
    parts = [
        f"### Call-centre load model ({settings['seconds']:g} s per point after a {settings['warmup']:g} s warm-up; "
        f"{settings['workers']} worker processes x {settings['pool']} store connections; open-loop Poisson arrivals, "
        "latency from the scheduled start)",
        "",
        points_table(points),
        "",
        "- A call: start call, verify the caller, the account view (page), file an early cancellation, end call "
        "(4 audited writes), and on half of the calls the agent's ticket list. Think time 4.5 s a call at a call "
        "every 18 s per agent (ten times a realistic pace); the saturation steps shorten both alike.",
        "- CPU in cores over the measured window: client = the load generator's workers, which run the tickets "
        "code (a real centre runs it on the desks or the console server); server = PostgreSQL's backends of the "
        "point's database (+ its shared processes: WAL writer, checkpointer); other = the rest of the machine "
        "(other engineers' work: the machine is shared). CPU ms a write: client + server CPU over the audited "
        "writes done; the ceiling is the machine's cores over it, the rate at which CPU alone would stop it.",
    ]
    parts += must_show(out)
    parts += [f"- Not run: {s}" for s in out.get("skipped", [])]
    for r in points:
        if r["error_samples"]:
            parts.append(f"- {r['label']}, errors: " + "; ".join(r["error_samples"]))
        if not r["counts_match"] or r["unreported"]:
            parts.append(f"- {r['label']}, counts: {r['counts_text']}; unreported tickets {r['unreported']}")
    waits = waits_table(points)
    if waits:
        parts += ["", "Where PostgreSQL's backends of the point were (mean number, sampled 5 times a second), "
                  "and the generator's own delays. Waiting for a CPU: seconds a second the client's threads and "
                  "the point's backends were runnable but not running (schedstat's run delay), and the share of "
                  "the window some task on the machine waited for a CPU (/proc/pressure/cpu). A write's wait: the mean "
                  "number of backends in that state over the audited writes a second (Little's law):", "", waits]
    parts += ["", f"Load test: {out['total_seconds']:.0f} s in all (the PostgreSQL template: "
              f"{out.get('template_seconds', float('nan')):.0f} s), on {out.get('machine', 'an unrecorded machine')}."]
    return "\n".join(parts)


def legacy_runs(out: dict[str, Any]) -> list[dict[str, Any]]:
    """The points in the shape run.py's load table reads (until it reads "points")."""
    nan = float("nan")
    return [{
        "backend": r["backend"], "agents": r["agents"], "seconds": r["seconds"], "calls": r["calls"],
        "tickets": r["tickets"], "tickets_per_s": r["writes_s"] / 4, "p50_ms": r["latency_ms"]["file"]["p50"],
        "p95_ms": r["latency_ms"]["file"]["p95"], "p99_ms": r["latency_ms"]["file"]["p99"], "call_p50_ms": nan,
        "hold_p50_ms": nan, "hold_p95_ms": nan, "writes": round(r["writes_s"] * r["seconds"]), "refused": 0,
        "errors": sum(r["errors"].values()), "lost": r["lost"], "doubled": r["doubled"], "unreported": r["unreported"],
        "filed_events": r["filed_events"], "db_tickets": r["db_tickets"], "chain_ok": r["chain_ok"],
        "chain_text": r["chain_text"], "error_samples": r["error_samples"],
    } for r in out["points"]]


def load_results(figures: dict[str, Any]) -> list[Result | Skipped]:
    """The load test's targets (`targets`, from its JSON) as run.py's Results, in its table and
    JSON like the others': judged only if the 1-minute load average was at most common.LOAD_LIMIT
    before they were measured (`extra["load"]`) and the rest of the machine took at most
    common.OTHERS_LIMIT cores in each point (`extra["others_cpu"]`), on their own figures by the
    wall clock (a latency; writes a second)."""
    found = {t.get("number"): t for t in figures.get("targets") or []}
    why = "; ".join(figures.get("skipped") or []) or "the load test gave no figure"
    out: list[Result | Skipped] = []
    for number, name in LOAD_TARGETS:
        t = found.get(number)
        if t is None:
            out.append(Skipped(number, name, why))
        elif number == "9a":
            checks = ((f"{t['lost']} lost", t["lost"]), (f"{t['doubled']} doubled", t["doubled"]),
                      ("the chain broken", not t["chain_ok"]),
                      (f"p99 not under {FILING_P99_MS:g} ms", t["value"] >= FILING_P99_MS))
            broken = [text for text, bad in checks if bad]
            runs = f"median of {t['runs']} runs, {t['min']:.0f}-{t['max']:.0f} ms; " if t["runs"] > 1 else ""
            out.append(Result(
                number, name, t["value"], FILING_P99_MS, "ms", 1.0, False, subject_label="deskapp, filing p99",
                baseline_label=f"the limit ({FILING_P99_MS:g} ms)",
                note=f"{runs}lost {t['lost']}, doubled {t['doubled']}, chain "
                     f"{'verified' if t['chain_ok'] else 'BROKEN'} (met only with none lost or doubled and the chain "
                     "verified); the load test's own process (tests/bench/load_stage.py, or loadtest.py with --load).",
                extra={"load": t["load_average"] or [], "others_cpu": t.get("others_cpu"), "judged_on": "wall",
                       "runs": t["runs"], "min_ms": t["min"],
                       "max_ms": t["max"], "lost": t["lost"], "doubled": t["doubled"], "chain_ok": t["chain_ok"],
                       "failed": "; ".join(broken)}))
        else:
            sat = figures["saturation"]
            proto = sat["prototype"]
            sides = t.get("points_a_side") or {}
            out.append(Result(
                number, name, t["deskapp_writes_s"], t["prototype_writes_s"], "writes/s",
                round(t["target_ratio"], 6), True,  # 1.5 x 0.6 is 0.8999999999999999 in floating point
                subject_label="deskapp", baseline_label="raw psycopg prototype (load_raw.py)",
                note=f"audited writes a second done at each side's best point within the limit, their points in "
                     f"turns: deskapp at {sat['at']} (first past it: {sat['first_failed'] or 'none'}), the prototype "
                     f"at {proto['at']} (first past it: {proto['first_failed'] or 'none'}); "
                     f"{sides.get('deskapp', '?')} / {sides.get('prototype', '?')} points; target 1.5 x the issue's "
                     f"{sat['issue_ratio']:.1f}; criterion: {sat['criterion']}.",
                extra={"load": t["load_average"] or [], "others_cpu": t.get("others_cpu"), "judged_on": "wall",
                       "runs": min(sides.values()) if sides else None, "points_a_side": sides,
                       "deskapp_at": sat["at"], "prototype_at": proto["at"], "first_rate": sat.get("first_rate")}))
    return out
