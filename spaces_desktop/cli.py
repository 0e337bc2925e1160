"""Command line: `spaces-desktop serve` runs the backend with its own Janus."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from spaces_desktop import __version__
from spaces_desktop.errors import ConfigError


def _port_range(value: str) -> tuple[int, int]:
    try:
        low, high = (int(part) for part in value.split("-", 1))
    except ValueError as exc:
        raise argparse.ArgumentTypeError("expected MIN-MAX, e.g. 20000-20999") from exc
    if not 1024 <= low < high <= 65535:
        raise argparse.ArgumentTypeError("expected 1024 <= MIN < MAX <= 65535")
    return low, high


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spaces-desktop", description="Live audio and video Spaces.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the Spaces backend with its own Janus")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8470, help="HTTP port (default 8470)")
    serve.add_argument("--data-dir", type=Path, default=None, help="where the database and Janus config live")
    serve.add_argument(
        "--public-url", default=None, help="base URL of share links (default http://HOST:PORT)"
    )
    janus = serve.add_mutually_exclusive_group()
    janus.add_argument(
        "--janus-url", default=None, help="use an external Janus HTTP API instead of a private one"
    )
    janus.add_argument("--janus-bin", default=None, help="path of the janus executable to run")
    serve.add_argument("--janus-secret", default=None, help="api secret of the external Janus")
    serve.add_argument(
        "--ice-interface", default=None, help="network interface Janus uses for media (ice_enforce_list)"
    )
    serve.add_argument(
        "--rtp-ports", type=_port_range, default=None, help="UDP port range for media, e.g. 20000-20999"
    )
    serve.add_argument("--nat-ip", default=None, help="public IP Janus advertises when behind 1:1 NAT")
    serve.add_argument("-v", "--verbose", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Request lines of httpx would print Janus URLs with the api secret in them.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        if args.command == "serve":
            return _serve(args)
    except ConfigError as exc:
        print(f"spaces-desktop: {exc.message}", file=sys.stderr)
        return 2
    return 2


def _serve(args: argparse.Namespace) -> int:
    from spaces_desktop.server.janus_process import JanusSettings
    from spaces_desktop.server.runner import ServerSettings, serve

    settings = ServerSettings(
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        janus_url=args.janus_url,
        janus_secret=args.janus_secret,
        janus=JanusSettings(
            binary=args.janus_bin,
            ice_interface=args.ice_interface,
            rtp_ports=args.rtp_ports,
            nat_1_1_ip=args.nat_ip,
        ),
        **({"data_dir": args.data_dir} if args.data_dir else {}),
    )
    serve(settings)
    return 0
