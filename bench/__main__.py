"""``python -m bench [--smoke] [--scenario NAME ...] [--check] [--profile DIR] [--bedrock-client boto3]``.

Starts the Bedrock emulator and gunicorn+gevent gateways as processes of their own, runs
each scenario with the gateway and a bare boto3 client interleaved, prints the table and
writes JSON (and Markdown) to bench/results/. Exits 1 when a scenario fails or a request
comes back broken; with ``--check``, also when a target is missed. ``--profile DIR``
records the gateway workers with py-spy during every gateway load (figures from such a
run are not comparable: the sampler takes CPU too) and prints where the time went.
``--bedrock-client boto3`` runs the gateway on boto3's own client instead of the lean one.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import traceback
from pathlib import Path

from bench import procs, profile, report
from bench.measure import Row
from bench.plan import FULL, SMOKE
from bench.scenarios import (
    Context,
    burst,
    chat,
    cold_start,
    embeddings,
    models,
    responses_stream,
    slow_streams,
    stream,
)

SCENARIOS = {
    "chat": chat.run,
    "stream": stream.run,
    "responses-stream": responses_stream.run,
    "slow-streams": slow_streams.run,
    "embeddings": embeddings.run,
    "models": models.run,
    "cold-start": cold_start.run,
    "burst": burst.run,
}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one round (CI)")
    parser.add_argument(
        "--scenario", action="append", choices=list(SCENARIOS), help="repeatable; default all"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="py-spy the workers; raw stacks to DIR")
    parser.add_argument("--bedrock-client", choices=["lean", "boto3"], help="the gateway's BEDROCK_CLIENT")
    return parser.parse_args(argv)


def run_all(ctx: Context, names: list[str]) -> None:
    """Each scenario on an emulator and gateways of its own: none inherits another's heap or sockets."""
    for name in names:
        started, ctx.scenario = time.perf_counter(), name
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        ctx.emulator = procs.Emulator()
        try:
            SCENARIOS[name](ctx)
        except Exception as exc:  # one broken scenario still leaves the others' figures
            traceback.print_exc()
            ctx.add(
                Row(name, "ERROR", None, None, "", passed=False, note=f"{type(exc).__name__}: {exc}"[:300])
            )
        finally:
            ctx.close()
            ctx.emulator.stop()
        print(f"[bench] {name} done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    plan, mode = (SMOKE, "smoke") if args.smoke else (FULL, "full")
    names = args.scenario or list(SCENARIOS)
    ctx = Context(plan)
    if args.bedrock_client:
        ctx.gateway_env = {"BEDROCK_CLIENT": args.bedrock_client}
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        ctx.profile_dir, ctx.py_spy = args.profile, profile.find_py_spy()
    run_all(ctx, names)
    print(report.text_table(ctx.rows))
    path = report.write(ctx.rows, ctx.raw, plan, mode)
    print(f"\n{report.describe(report.machine())}\nresults: {path}")
    if args.profile:
        print("\nProfiles (py-spy, gateway workers)\n" + profile.summarize_dir(args.profile))
    broken = [row for row in ctx.rows if row.passed is False and row.metric in ("ERROR", "requests intact")]
    missed = [row for row in ctx.rows if row.passed is False]
    if broken:
        print(f"server logs kept in {procs.LOGS}", file=sys.stderr)
    else:
        shutil.rmtree(procs.LOGS, ignore_errors=True)
    return 1 if broken or (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
