"""`spaces-desktop bench NAME`: runs one benchmark in its own network namespace and prints JSON.

The last line of output is always one JSON object (an `error` key when it failed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np

from spaces_desktop.bench import environment

NAMES = (
    "latency",
    "join",
    "speaker",
    "render",
    "fanout",
    "flood",
    "resilience",
    "snapshot",
    "cluster",
    "audience",
)
DEFAULT_CONVERSATION = Path(__file__).resolve().parents[2].parent / "shared" / "media" / "conversation-a"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=NAMES)
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    parser.add_argument("--resolution", default="1280x720", help="latency: camera size (default 1280x720)")
    parser.add_argument(
        "--seconds", type=float, default=None, help="measuring time (latency 10, render 60, flood 60)"
    )
    parser.add_argument("--runs", type=int, default=10, help="join: how many joins (default 10)")
    parser.add_argument(
        "--conversation", type=Path, default=DEFAULT_CONVERSATION, help="speaker: WAVs + truth.json"
    )
    parser.add_argument(
        "--listeners", type=int, default=None, help="fanout: listeners (default 2000); audience: 10000"
    )
    parser.add_argument(
        "--streams", type=int, default=300, help="audience: sampled listeners' event streams (default 300)"
    )
    parser.add_argument("--no-media", action="store_true", help="audience: skip the Janus CPU part")
    parser.add_argument("--no-gui", action="store_true", help="audience: skip the host's app part")
    parser.add_argument(
        "--media-listeners", type=int, default=None, help="audience: aiortc listeners per media mode (10)"
    )
    parser.add_argument("--events", type=int, default=100, help="fanout: events the host emits (default 100)")
    parser.add_argument("--joins", type=int, default=2000, help="flood: joins from one address")
    parser.add_argument("--reactions", type=int, default=1500, help="flood: reactions one listener sends")
    parser.add_argument("--half-open", type=int, default=300, help="flood: half-sent requests")
    parser.add_argument(
        "--participants", type=int, default=2000, help="snapshot: people in the Space (default 2000)"
    )
    parser.add_argument(
        "--rate-limit-scale", type=float, default=None, help="flood: the backend's --rate-limit-scale"
    )
    parser.add_argument("--quick", action="store_true", help="resilience: shorter cases, for a smoke test")
    parser.add_argument(
        "--cases",
        default=None,
        help="resilience: comma-separated subset (loss5,cut10,cut2,backend,janus,camera,churn)",
    )


def run(args: argparse.Namespace) -> int:
    environment.enter_namespace()
    if not args.json:
        logging.basicConfig(level=logging.WARNING)
    try:
        result = _run(args)
    except Exception as exc:  # the benchmark failed: say so on the JSON line
        result = {"name": args.name, "error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(result), flush=True)
        return 1
    print(json.dumps({"name": args.name, **result}), flush=True)
    return 0


def _run(args: argparse.Namespace) -> dict[str, Any]:
    if args.name == "fanout":
        from spaces_desktop.bench.fanout import raise_file_limit, run_fanout, serve_args

        listeners = args.listeners or 2000
        raise_file_limit(listeners * 2 + 512)
        with environment.backend(serve_args=serve_args(listeners)) as url:
            return asyncio.run(run_fanout(url, listeners, args.events))
    if args.name == "audience":
        # Signaling, then the host's app (when bench/audience_gui.py is there), then Janus per listener.
        from spaces_desktop.bench.audience import run_all

        return run_all(
            args.listeners or 10_000,
            args.streams,
            media=not args.no_media,
            gui=not args.no_gui,
            media_listeners=args.media_listeners,
        )
    if args.name == "flood":
        from spaces_desktop.bench.fanout import raise_file_limit
        from spaces_desktop.bench.flood import run_flood

        raise_file_limit(args.half_open * 2 + 512)
        scale = [] if args.rate_limit_scale is None else ["--rate-limit-scale", str(args.rate_limit_scale)]
        with environment.backend(serve_args=scale) as url:
            flood = run_flood(url, args.joins, args.seconds or 60.0, args.reactions, args.half_open)
            return asyncio.run(flood)
    if args.name == "resilience":
        from spaces_desktop.bench.resilience import run_resilience

        cases = args.cases.split(",") if args.cases else None
        return run_resilience(quick=args.quick, cases=cases)
    if args.name == "cluster":
        from spaces_desktop.bench.cluster import run_cluster

        return asyncio.run(run_cluster())
    if args.name == "snapshot":
        from spaces_desktop.bench.snapshot import run_snapshot

        return asyncio.run(run_snapshot(args.participants))
    if args.name == "latency":
        from spaces_desktop.bench.latency import run_latency

        width, height = (int(v) for v in args.resolution.lower().split("x", 1))
        from spaces_desktop.bench.painted import run_painted_latency

        with environment.backend() as url:
            decoded = asyncio.run(run_latency(url, width, height, args.seconds or 10.0))
            decoded.pop("painted", None)  # the painted_* keys below are measured on real painted pixels
            return {**decoded, **run_painted_latency(url, width, height, args.seconds or 10.0)}
    if args.name == "speaker":
        from spaces_desktop.bench.conversation import run_conversation

        if not (args.conversation / "truth.json").is_file():
            raise FileNotFoundError(f"no conversation (WAVs + truth.json) at {args.conversation}")
        sharp: list[float] = []
        with environment.backend() as url:
            result = asyncio.run(run_conversation(url, args.conversation, video=True, sharp=sharp))
        summary = {k: v for k, v in result.summary().items() if k != "latencies_ms"}
        summary["sharp_p50_ms"] = float(np.percentile(sharp, 50)) if sharp else math.nan
        summary["sharp_p95_ms"] = float(np.percentile(sharp, 95)) if sharp else math.nan
        summary["sharp_turns"] = len(sharp)
        return summary
    if args.name == "join":
        from spaces_desktop.bench.gui import run_join

        with environment.backend() as url:
            return run_join(url, args.runs)
    if args.name == "render":
        from spaces_desktop.bench.gui import run_render

        with environment.backend() as url:
            return run_render(url, args.seconds or 60.0)
    raise ValueError(f"unknown benchmark {args.name}")


__all__ = ["add_arguments", "run"]
