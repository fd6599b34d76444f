"""The bench's output: Markdown tables (for README) and every figure as JSON.

A target's ratio is judged on what its module measured it on: CPU time (`time.process_time`,
subject and baseline in turns in one process) where `Result.from_spreads` made it, its own
figures otherwise. Beside it: the CPU-time and wall-clock ratios of the medians, each with the
lowest and highest ratio of the runs paired in turns, and how many runs.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import sqlite3
from typing import Any

import common
from common import Result, Skipped, Spread, cpu_model, fmt


def _range(ratios: tuple[float, float, float] | None) -> str:
    if ratios is None:
        return "–"
    median, low, high = ratios
    if low != low or high != high:  # a module that gave the median only
        return f"{median:.2f}"
    return f"{median:.2f} ({low:.2f}–{high:.2f})"


def verdict(r: Result) -> str:
    if not r.is_target:
        return "measured beside the targets"
    if not r.quiet:
        return f"not judged: {r.busy} during the run"
    return "met" if r.met else "NOT met"


def _met_cell(r: Result) -> str:
    if not r.is_target:
        return "– (no target)"
    if not r.quiet:
        return f"not judged ({r.busy})"
    return "yes" if r.met else "**no**"


def targets_table(results: list) -> str:
    lines = [
        "| # | Target | deskapp | Baseline, same run | Ratio | Judged on | CPU ratio (min–max) | Wall ratio (min–max) "
        "| Runs | Target | Met |",
        "|---|--------|---------|--------------------|------:|:--:|--:|--:|--:|-------:|:---:|",
    ]
    for r in results:
        if isinstance(r, Skipped):
            lines.append(f"| {r.number} | {r.name} | not measured | {r.why} | – | – | – | – | – | – | – |")
            continue
        runs = r.runs or "–"
        # Measured on a busy machine: the ratio is shown, unjudged, in parentheses and not in bold.
        ratio = f"**{r.ratio:.2f}**" if r.quiet else f"({r.ratio:.2f})"
        lines.append(
            f"| {r.number} | {r.name} | {fmt(r.subject, r.unit)} <br>`{r.subject_label}` | "
            f"{fmt(r.baseline, r.unit)} <br>{r.baseline_label} | {ratio} | {r.judged_on.upper()} | "
            f"{_range(r.ratios('cpu'))} | {_range(r.ratios('wall'))} | {runs} | {r.target_text} | {_met_cell(r)} |"
        )
    notes = [f"- {r.number}: {r.note}" for r in results if isinstance(r, Result) and r.note]
    return "\n".join(lines) + ("\n\n" + "\n".join(notes) if notes else "")


def load_table(load: dict) -> str:
    if load.get("markdown"):  # the load model's own tables (loadtest.measure)
        return load["markdown"].strip() + "".join(f"\n- {s}" for s in load.get("skipped", []))
    if not load.get("runs"):
        skipped = "".join(f"\n- {s}" for s in load.get("skipped", []))
        return ("Not part of this run (`--no-load`, `--no-pg`, or `--only` without `load`): targets 9a and 9b come "
                "from the load stage (`tests/bench/load_stage.py`, about 2.5 minutes); the call-centre load test's "
                "whole study runs apart, `python tests/bench/loadtest.py` (15 to 22 minutes; `run.py --load` runs "
                "it instead of the stage)." + skipped)
    lines = [
        "| Backend | Agents | Calls | Tickets | Tickets/s | Filing p50 | p95 | p99 | Call p50 "
        "| Writer lock held p50 / p95 "
        "| Refused | Errors | Lost | Doubled | `ticket.filed` = tickets | Chain |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|:-:|",
    ]
    for r in load["runs"]:
        same = r.get("filed_events") == r.get("db_tickets") == r.get("tickets") and not r.get("unreported")
        lines.append(
            f"| {'SQLite' if r.get('backend') == 'sqlite' else 'PostgreSQL'} | {r.get('agents')} | {r.get('calls')} | "
            f"{r.get('tickets')} | {_num(r, 'tickets_per_s', '.1f')} | {_num(r, 'p50_ms', '.0f')} ms | "
            f"{_num(r, 'p95_ms', '.0f')} ms | {_num(r, 'p99_ms', '.0f')} ms | {_num(r, 'call_p50_ms', '.0f')} ms | "
            f"{_num(r, 'hold_p50_ms', '.1f')} / {_num(r, 'hold_p95_ms', '.1f')} ms | {r.get('refused')} | "
            f"{r.get('errors')} | {r.get('lost')} | {r.get('doubled')} | "
            f"{'yes' if same else 'NO'} ({r.get('filed_events')}) | {'verified' if r.get('chain_ok') else 'BROKEN'} |"
        )
    extra = ["- Writer lock held: per write transaction (4 a call: start, verification, filing, end), how long "
             "it held what serialises all writers: SQLite's database lock (BEGIN IMMEDIATE to the end of COMMIT), "
             "PostgreSQL's audit_head row lock (SELECT .. FOR UPDATE to the end of COMMIT). 1 / the 1-agent figure "
             "is the most audited writes a second the database takes, however many agents; with more agent "
             "processes than cores the holder is also descheduled while holding it, and the figure grows."]
    extra += [f"- {s}" for s in load.get("skipped", [])]
    for r in load["runs"]:
        if r.get("error_samples"):
            extra.append(f"- {r.get('backend')} {r.get('agents')} agents, errors: " + "; ".join(r["error_samples"]))
    return "\n".join(lines) + ("\n\n" + "\n".join(extra) if extra else "")


def _num(row: dict, key: str, spec: str) -> str:
    value = row.get(key)
    return format(value, spec) if isinstance(value, int | float) else "–"


def environment(pg_version: str | None) -> str:
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return (f"{platform.python_implementation()} {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"{pg_version or 'no PostgreSQL'}, {os.cpu_count()} CPUs ({cpu_model()}; load average at the end {load})")


# --- JSON: every figure ------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A module's `extra` as JSON: spreads with their runs, dataclasses as dicts, the rest as text."""
    if isinstance(value, Spread):
        return {**value.as_json(), "cpu_runs": value.cpu, "wall_runs": value.wall}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value else None  # NaN is not JSON
    return str(value)


def result_json(r: Result | Skipped) -> dict[str, Any]:
    if isinstance(r, Skipped):
        return {"number": r.number, "name": r.name, "measured": False, "why": r.why}
    ratios = {clock: r.ratios(clock) for clock in ("cpu", "wall")}
    return _plain({
        "number": r.number, "name": r.name, "measured": True, "subject": r.subject, "baseline": r.baseline,
        "unit": r.unit, "ratio": r.ratio, "target": r.target, "higher_is_better": r.higher_is_better,
        "met": r.met if r.judged else None, "judged": r.judged, "load": r.load, "load_limit": common.LOAD_LIMIT,
        "busy": r.busy,
        "judged_on": r.judged_on, "subject_label": r.subject_label,
        "baseline_label": r.baseline_label, "note": r.note,
        **{f"{clock}_ratio": dict(zip(("median", "min", "max"), values, strict=True)) if values else None
           for clock, values in ratios.items()},
        "extra": r.extra,
    })


def write_json(path, *, results: list, load: dict, facts: list[str], meta: dict[str, Any]) -> None:
    document = {**_plain(meta), "targets": [result_json(r) for r in results], "load": _plain(load), "facts": facts}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False))


def readme_table(targets: list[dict[str, Any]]) -> str:
    """README's performance table from latest.json's targets: one line a figure, judged as the
    bench judged it (`python tests/bench/report.py bench-output/latest.json` prints it)."""
    lines = ["| # | Target | deskapp | Baseline, same run | Ratio (min–max), runs | Target | Met |",
             "|---|--------|---------|--------------------|------:|-------:|:---:|"]
    for t in targets:
        if not t["measured"]:
            lines.append(f"| {t['number']} | {t['name']} | not measured | {t['why']} | – | – | **no** |")
            continue
        spread = t.get("cpu_ratio") if t["judged_on"] == "cpu" else None
        low, high = (spread["min"], spread["max"]) if spread else (None, None)
        extra = t.get("extra") or {}
        runs = extra.get("runs") or (extra.get("subject") or {}).get("runs") or "–"
        ratio = f"**{t['ratio']:.2f}**" + (f" ({low:.2f}–{high:.2f})" if low is not None and high is not None else "")
        if t["target"] is None:
            target, met = "none", "– (measured beside)"
        else:
            target = f"{'≥' if t['higher_is_better'] else '≤'} {t['target']:g}"
            met = "yes" if t["met"] else "**no**"
            if t.get("judged") is False:  # a busy machine: the ratio shown, not judged
                busy = t.get("busy") or f"load {t['load']:.1f} > {t['load_limit']:g}"  # JSON of an older run
                met = f"not judged ({busy})"
                ratio = ratio.replace("**", "")
        judged = "" if t["judged_on"] == "cpu" else f" ({t['judged_on']})"
        lines.append(f"| {t['number']} | {t['name']} | {fmt(t['subject'], t['unit'])} <br>`{t['subject_label']}` | "
                     f"{fmt(t['baseline'], t['unit'])} <br>{t['baseline_label']} | {ratio}{judged}, {runs} | "
                     f"{target} | {met} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    with open(sys.argv[1] if len(sys.argv) > 1 else "bench-output/latest.json") as handle:
        figures = json.load(handle)
    print(readme_table(figures["targets"]))
    print(f"\n{figures['met']} of {figures['measured']} targets met; {figures['command']}, {figures['at']}, "
          f"{figures['seconds'] / 60:.1f} minutes; {figures['environment']}.")
