"""run.py's load stage: the call-centre load test's two judged targets in about 2.5 minutes, in
both forms of run.py (quick and full).

loadtest.py's study (15 to 22 minutes: 64, 256 and 1,000 agents, PgBouncer, SQLite, the 256-agent
point three times, 30 s search points from each side's own first guess) stays as it is, run
apart or by `run.py --load`. This stage runs only what the two targets need, with the same load
model, the same points (loadtest.run_point), the same search (load_saturation.side_by_side, both
sides in turns) and the same judging (load_report.targets):

- the PostgreSQL template, its directory sized for the most the search offers
  (loadtest.MOST_WRITES_S);
- the 256-agent point at ten times a realistic pace, once: filing p99 < 50 ms, nothing lost or
  doubled, the chain verified;
- the saturation search of the product and its raw prototype (load_raw.py: the prototype's
  calls recorded once, when its first point needs them), their points in turns, each from the
  same probe: the rate at which the product's CPU a write at 256 agents would fill the cores
  (1 / GUESS of the study's first rate), meant to be past both limits (the two sides saturated
  within 0.80-0.99 of each other in the runs so far, so the prototype's own 256-agent point,
  22 s mostly of its calls' tail, is not run). A point past the limit still does about as many
  writes as its side serves within it, so each side's next rate is the writes its probe did,
  then up from there by PRECISION at most (load_saturation.probe_rate): about 3 points a side
  where the study's steps (1.3 up, 1.4 down from a guess below) take 4 to 5. At most
  POINTS_A_SIDE points a side.

Points of 8 s after a 2 s warm-up (as the study's quick form): a point costs about 13.5 s with
its start, the calls' tail and the check; the 256-agent point about 23 s (its calls' tail is
11 s at 10x pace); the recording about 10 s. So 2 minutes with 3 points a side, 2.5 with 4.

    python tests/bench/load_stage.py --json out.json [--pg-url URL] [--max-load 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import LOAD_LIMIT, cpu_model, pg_version  # noqa: E402
from load_saturation import GUESS, SIDES, first_guess, probe_rate  # noqa: E402
from loadtest import (  # noqa: E402
    DEFAULT_PG,
    TARGET_AGENTS,
    Point,
    Settings,
    _log,
    _summary,
    postgresql_template,
    run_point,
    saturate,
)

PROBE_LEAST = 300.0  # the probe at least (audited writes/s): a 256-agent point on a busy minute gives less
POINTS_A_SIDE = 4
SECONDS, WARMUP = 8.0, 2.0


def measure_stage(pg_url: str, *, settings: Settings | None = None, points: int = POINTS_A_SIDE,
                  max_load: float = LOAD_LIMIT) -> dict[str, Any]:
    """The 256-agent point and the side-by-side search; the figures in loadtest.measure's shape
    (load_report reads both), with "targets" and "markdown"."""
    began = time.perf_counter()
    settings = settings or Settings(seconds=SECONDS, warmup=WARMUP)
    out: dict[str, Any] = {"quick": False, "form": "run.py's load stage (load_stage.py)",
                           "settings": settings.__dict__, "points": [], "saturation": None, "skipped": [],
                           "cores": os.cpu_count(), "load_before": os.getloadavg()[0],
                           "machine": f"{os.cpu_count()} CPUs ({cpu_model()}), {pg_version(pg_url) or 'no PostgreSQL'}"}
    try:
        pg, document, recordings = postgresql_template(out, pg_url, settings, TARGET_AGENTS, None)
    except Exception as error:  # unreachable: said, and both targets not measured
        out["skipped"].append(f"PostgreSQL: {type(error).__name__}: {str(error).splitlines()[0][:200]}")
        return _finished(out, settings, began, max_load)
    try:
        out["points"].append(at_target := run_point(Point(f"PostgreSQL {TARGET_AGENTS}", "postgresql", TARGET_AGENTS),
                                                    settings, pg, document))
        _log(_summary(at_target))
        # The probe: the rate at which the product's CPU a write at 256 agents would fill the cores.
        rate = max(PROBE_LEAST, (first_guess([at_target]) or 0.0) / GUESS)
        out["saturation"] = saturate(pg, document, recordings, settings, TARGET_AGENTS, None, [], points,
                                     first={side: rate for side in SIDES}, choose=probe_rate)
        out["saturation"]["first_rate"] = rate
        out["recording_seconds"] = recordings.seconds
    except Exception as error:  # unreachable, or a point failed: what was measured is still judged
        out["skipped"].append(f"PostgreSQL: {type(error).__name__}: {str(error).splitlines()[0][:200]}")
    finally:
        recordings.close()
        if pg.template:
            pg.close()
    return _finished(out, settings, began, max_load)


def _finished(out: dict[str, Any], settings: Settings, began: float, max_load: float) -> dict[str, Any]:
    """The judged targets (load_report.targets, as the study's) and the Markdown."""
    from load_report import markdown, targets

    out["max_load"] = max_load
    out["targets"] = targets(out, max_load)
    out["seconds"] = settings.seconds
    out["total_seconds"] = time.perf_counter() - began
    out["markdown"] = markdown(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="run.py's load stage: filing p99 at 256 agents and the "
                                                 "saturation side by side with the raw prototype")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--seconds", type=float, default=SECONDS,
                        help=f"measured seconds a point (default {SECONDS:g})")
    parser.add_argument("--warmup", type=float, default=WARMUP, help=f"warm-up seconds a point (default {WARMUP:g})")
    parser.add_argument("--points", type=int, default=POINTS_A_SIDE,
                        help=f"saturation points a side at most (default {POINTS_A_SIDE})")
    parser.add_argument("--max-load", type=float, default=LOAD_LIMIT,
                        help="judge no target measured while the 1-minute load average exceeded this "
                             "(default: the number of cores)")
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args(argv)
    common.LOAD_LIMIT = args.max_load
    out = measure_stage(args.pg_url, settings=Settings(seconds=args.seconds, warmup=args.warmup),
                        points=args.points, max_load=args.max_load)
    print(out["markdown"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
