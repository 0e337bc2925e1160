"""Command line: `spaces-desktop serve` runs the backend with its own Janus."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from spaces_desktop import __version__
from spaces_desktop.errors import ConfigError

JANUS_SECRET_ENV = "SPACES_JANUS_SECRET"
JANUS_ADMIN_KEY_ENV = "SPACES_JANUS_ADMIN_KEY"

if TYPE_CHECKING:
    from spaces_desktop.ui.server_port import ServerFactory


def _port_range(value: str) -> tuple[int, int]:
    try:
        low, high = (int(part) for part in value.split("-", 1))
    except ValueError as exc:
        raise argparse.ArgumentTypeError("expected MIN-MAX, e.g. 20000-20999") from exc
    if not 1024 <= low < high <= 65535:
        raise argparse.ArgumentTypeError("expected 1024 <= MIN < MAX <= 65535")
    return low, high


def _unplug_window(text: str) -> tuple[float, float | None]:
    start, sep, end = text.partition("-")
    try:
        window = (float(start), float(end) if sep else None)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("expected A or A-B in seconds, e.g. 5-12") from exc
    if window[0] < 0 or (window[1] is not None and window[1] <= window[0]):
        raise argparse.ArgumentTypeError("expected 0 <= A < B")
    return window


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spaces-desktop", description="Live audio and video Spaces.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=False)

    gui = commands.add_parser(
        "gui", help="open the app (the default; `spaces-desktop LINK` joins that Space)"
    )
    gui.add_argument("link", nargs="?", default=None, help="a Space's share link to join")
    gui.add_argument("--server", default=None, help="Spaces server URL to use instead of the built-in one")
    gui.add_argument("-v", "--verbose", action="store_true")
    gui.add_argument("--self-check", action="store_true", help="open and close the main window, then exit 0")

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
    secret = serve.add_mutually_exclusive_group()
    secret.add_argument(
        "--janus-secret-file",
        type=Path,
        default=None,
        metavar="FILE",
        help=f"file holding the external Janus's api secret (or set {JANUS_SECRET_ENV})",
    )
    secret.add_argument(
        "--janus-secret",
        default=None,
        help="deprecated: every local user can read it in the process list; use --janus-secret-file",
    )
    serve.add_argument(
        "--redis",
        default=None,
        metavar="URL",
        help="share Spaces, tokens and events with other backends through this Redis "
        "(redis://host:port/db or unix:///path); default: SQLite in --data-dir",
    )
    serve.add_argument(
        "--redis-password-file",
        type=Path,
        default=None,
        metavar="FILE",
        help="file holding the Redis password (or set SPACES_REDIS_PASSWORD)",
    )
    serve.add_argument(
        "--janus-node",
        action="append",
        default=[],
        metavar="[NAME=]URL",
        help="an external Janus node (repeat for several): rooms go to origins by load, listeners "
        "to edges; secrets from --janus-secret-file / SPACES_JANUS_SECRET and SPACES_JANUS_ADMIN_KEY",
    )
    serve.add_argument(
        "--janus-nodes",
        type=Path,
        default=None,
        metavar="FILE",
        help='a JSON file {"nodes": [{"name", "url", "media_address"?, "secret"?, "admin_key"?}]}',
    )
    serve.add_argument(
        "--internal-url",
        default=None,
        help="where the other backends reach this one (default http://HOST:PORT); with --redis",
    )
    serve.add_argument(
        "--cluster-secret-file",
        type=Path,
        default=None,
        metavar="FILE",
        help="secret shared by the backends, to forward media calls to a Space's owner "
        "(or set SPACES_CLUSTER_SECRET)",
    )
    serve.add_argument(
        "--backend-id",
        default="",
        help="this backend's name in Redis media leases (default host:pid:random)",
    )
    serve.add_argument(
        "--ice-interface",
        default=None,
        help="network interfaces Janus uses for media, comma-separated (ice_enforce_list)",
    )
    serve.add_argument(
        "--rtp-ports", type=_port_range, default=None, help="UDP port range for media, e.g. 20000-20999"
    )
    serve.add_argument(
        "--audience-threshold",
        type=_non_negative_int,
        default=None,
        metavar="N",
        help="listeners a Space serves from the VideoRoom before the rest watch a Streaming "
        "mountpoint (default 50; 0 sends every listener there)",
    )
    serve.add_argument("--nat-ip", default=None, help="public IP Janus advertises when behind 1:1 NAT")
    serve.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a web origin (https://site.example) whose pages may call the API; repeat for more",
    )
    serve.add_argument("--stun", action="append", default=[], metavar="URL", help="a stun: URL for clients")
    serve.add_argument(
        "--turn", action="append", default=[], metavar="URL", help="a turn: or turns: URL for clients"
    )
    serve.add_argument(
        "--turn-secret-file",
        type=Path,
        default=None,
        metavar="PATH",
        help="file holding the TURN server's static-auth-secret (coturn use-auth-secret)",
    )
    serve.add_argument(
        "--presence-timeout",
        type=_positive_seconds,
        default=30.0,
        metavar="S",
        help="a participant whose app is gone this long has left; their place is freed (default 30)",
    )
    serve.add_argument(
        "--host-grace",
        type=_positive_seconds,
        default=300.0,
        metavar="S",
        help="a live Space whose host's app is gone this long ends (default 300)",
    )
    serve.add_argument(
        "--rate-limit-scale",
        type=float,
        default=1.0,
        metavar="F",
        help="multiply every request limit by F; 0 turns limiting off (default 1)",
    )
    serve.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="ADDR",
        help="a reverse proxy whose X-Forwarded-For gives the client address (repeatable)",
    )
    serve.add_argument(
        "--request-timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="close a connection whose request has not fully arrived after S seconds (default 10)",
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        default=1000,
        metavar="N",
        help="open connections, event streams included, before new requests get 503; 0: no cap",
    )
    serve.add_argument("-v", "--verbose", action="store_true")

    from spaces_desktop.bench.cli import add_arguments as add_bench_arguments

    bench = commands.add_parser("bench", help="run a benchmark in a private network namespace; prints JSON")
    add_bench_arguments(bench)
    bench.add_argument("-v", "--verbose", action="store_true")

    demo = commands.add_parser("demo", help="the app hosting a video Space with three synthetic guests")
    demo.add_argument(
        "--quit-after", type=float, default=None, metavar="S", help="close the demo after S seconds"
    )
    demo.add_argument(
        "--screenshot", type=Path, default=None, help="save a picture of the window to this PNG"
    )
    demo.add_argument("--screenshot-after", type=float, default=20.0, metavar="S", help="when to take it (s)")
    demo.add_argument("-v", "--verbose", action="store_true")

    commands.add_parser("register-links", help="make spaces:// links open this app (this user only)")
    bot = commands.add_parser("bot", help="a headless participant for demos, tests and load")
    bot.add_argument(
        "--server", default=None, help="backend URL when creating (default http://127.0.0.1:8470)"
    )
    where = bot.add_mutually_exclusive_group(required=True)
    where.add_argument("--create", metavar="TITLE", help="create a Space and host it")
    where.add_argument("--join", metavar="LINK", help="join the Space of this share link")
    bot.add_argument("--video", action="store_true", help="with --create: turn on video for the Space")
    bot.add_argument("--name", default="Bot", help="display name")
    bot.add_argument("--camera", default="synthetic", help="synthetic, none, or a camera index/path")
    bot.add_argument("--second-camera", default=None, help="a second (product) camera: synthetic or an index")
    bot.add_argument("--camera-size", default="640x360", help="camera resolution WxH (default 640x360)")
    bot.add_argument("--fps", type=float, default=30.0)
    bot.add_argument(
        "--camera-toggle", type=float, default=None, metavar="S", help="toggle the camera every S s"
    )
    bot.add_argument(
        "--unplug-camera",
        type=_unplug_window,
        default=None,
        metavar="A[-B]",
        help="unplug the synthetic camera A s after joining, and plug it back in at B s",
    )
    bot.add_argument("--mic", default="synthetic", help="synthetic (a tone), none, a WAV file, or a device")
    bot.add_argument(
        "--speak-schedule", default=None, metavar="A-B,C-D", help="talk only in these windows (s)"
    )
    bot.add_argument(
        "--start-at",
        type=float,
        default=None,
        metavar="UNIX_TIME",
        help="when the clip and schedule begin (shared clock)",
    )
    bot.add_argument(
        "--request-to-speak", action="store_true", help="ask the host for the stage after joining"
    )
    bot.add_argument("--raise-hand", action="store_true", help="raise a hand after joining")
    bot.add_argument("--muted", action="store_true", help="mute the microphone once on stage")
    bot.add_argument(
        "--accept-requests", action="store_true", help="as host: bring everyone who asks on stage"
    )
    bot.add_argument("--duration", type=float, default=None, metavar="S", help="leave after S seconds")
    bot.add_argument("--json", action="store_true", help="JSON lines out, the summary last")
    bot.add_argument("-v", "--verbose", action="store_true")
    return parser


def _default_to_gui(argv: Sequence[str]) -> list[str]:
    """`spaces-desktop LINK` means `spaces-desktop gui LINK`."""
    args = list(argv)
    if (
        args
        and not args[0].startswith("-")
        and args[0]
        not in (
            "gui",
            "serve",
            "bot",
            "bench",
            "demo",
            "register-links",
        )
    ):
        return ["gui", *args]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    quit_requested = _quit_requests()  # loading the parser and Qt takes seconds on a busy machine
    args = build_parser().parse_args(_default_to_gui(sys.argv[1:] if argv is None else argv))
    if args.command not in (None, "gui"):
        # The other commands set their own handlers; until then Ctrl+C stops them as usual.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if quit_requested.is_set():
            return 130
    logging.basicConfig(
        level=logging.DEBUG
        if getattr(args, "verbose", False)
        else logging.INFO
        if args.command == "serve"
        else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Request lines of httpx would print Janus URLs with the api secret in them.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        if args.command in (None, "gui"):
            return _gui(args, quit_requested)
        if args.command == "serve":
            return _serve(args)
        if args.command == "bot":
            return _bot(args)
        if args.command == "demo":
            from spaces_desktop.headless.demo_guests import DemoGuests
            from spaces_desktop.ui.demo import run_demo

            return _exit_now(
                run_demo(
                    quit_after_s=args.quit_after,
                    screenshot=args.screenshot,
                    screenshot_after_s=args.screenshot_after,
                    server_factory=_built_in_server(),
                    guests_factory=DemoGuests,
                )
            )
        if args.command == "register-links":
            from spaces_desktop.link_handler import register

            print(register())
            return 0
        if args.command == "bench":
            from spaces_desktop.bench.cli import run as run_bench

            return run_bench(args)
    except ConfigError as exc:
        print(f"spaces-desktop: {exc.message}", file=sys.stderr)
        return 2
    return 2


def _built_in_server() -> ServerFactory | None:
    """The app's built-in backend, where this install has one (the desktop bundle leaves it out)."""
    try:
        from spaces_desktop.server.embedded import EmbeddedServer
    except ImportError:
        return None
    return EmbeddedServer


def _quit_requests() -> threading.Event:
    """Ctrl+C or SIGTERM while the app is still loading: remembered, and acted on once it runs."""
    requested = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: requested.set())
    return requested


def _gui(args: argparse.Namespace, quit_requested: threading.Event) -> int:
    from spaces_desktop.ui.app import run

    link = getattr(args, "link", None)
    self_check = bool(getattr(args, "self_check", False))
    if self_check:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from spaces_desktop.assets import missing_resources

        missing = missing_resources()
        if missing:
            print(f"self-check failed: this install lacks {', '.join(missing)}", file=sys.stderr)
            return 1
    code = run(
        link=link,
        server_url=getattr(args, "server", None),
        self_check=self_check,
        server_factory=_built_in_server(),
        quit_requested=quit_requested,
    )
    if self_check:
        print("self-check passed: the main window opened and closed", flush=True)
    return _exit_now(code)


def _exit_now(code: int) -> int:
    """Ends a GUI process right after its orderly shutdown.

    Everything that matters (leaving the Space, closing connections and devices,
    stopping the server, saving settings) is done by then; what is left is the
    interpreter's final garbage collection, during which PyAV/aiortc objects can
    crash it ("Fatal Python error: none_dealloc"). Skipping it keeps the exit code true.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


def _non_negative_int(text: str) -> int:
    if not text.isdigit() or int(text) > 1_000_000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 0 to 1000000")
    return int(text)


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds between 0 and 86400")
    return value


def _serve(args: argparse.Namespace) -> int:
    from spaces_desktop.server.cluster import RedisSettings, check_redis_url, redis_password
    from spaces_desktop.server.forwarding import CLUSTER_SECRET_ENV
    from spaces_desktop.server.ice import IceConfig
    from spaces_desktop.server.janus_process import JanusSettings
    from spaces_desktop.server.nodes import parse_node, read_nodes_file, with_shared_secrets
    from spaces_desktop.server.runner import ServerSettings, serve

    if args.redis and args.internal_url is None and args.host in ("0.0.0.0", "::", ""):
        raise ConfigError("With --host listening on every address, name this backend's --internal-url.")
    internal_url = args.internal_url or f"http://{args.host}:{args.port}"
    redis_settings = (
        RedisSettings(
            check_redis_url(args.redis),
            redis_password(args.redis_password_file),
            backend_id=args.backend_id,
            internal_url=internal_url,
        )
        if args.redis
        else None
    )
    nodes = [parse_node(text, i) for i, text in enumerate(args.janus_node)]
    if args.janus_nodes is not None:
        nodes += read_nodes_file(args.janus_nodes)
    if nodes and args.janus_url:
        raise ConfigError("Use --janus-node (several nodes) or --janus-url (one), not both.")
    janus_nodes = with_shared_secrets(nodes, _janus_secret(args), os.environ.get(JANUS_ADMIN_KEY_ENV) or None)
    cluster_secret = (
        _read_secret(args.cluster_secret_file, "cluster secret file")
        if args.cluster_secret_file
        else os.environ.get(CLUSTER_SECRET_ENV) or None
    )
    settings = ServerSettings(
        redis=redis_settings,
        janus_nodes=tuple(janus_nodes),
        cluster_secret=cluster_secret,
        janus_admin_key=os.environ.get(JANUS_ADMIN_KEY_ENV) or None,
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        janus_url=args.janus_url,
        janus_secret=_janus_secret(args),
        presence_timeout=args.presence_timeout,
        host_grace=args.host_grace,
        janus=JanusSettings(
            binary=args.janus_bin,
            ice_interface=args.ice_interface,
            rtp_ports=args.rtp_ports,
            nat_1_1_ip=args.nat_ip,
        ),
        cors_origins=tuple(_origin(origin) for origin in args.cors_origin),
        ice=IceConfig(
            stun=tuple(_ice_url(url, ("stun:", "stuns:")) for url in args.stun),
            turn=tuple(_ice_url(url, ("turn:", "turns:")) for url in args.turn),
            turn_secret=_read_secret(args.turn_secret_file, "TURN secret file")
            if args.turn_secret_file
            else None,
        ),
        rate_limit_scale=args.rate_limit_scale,
        trusted_proxies=tuple(args.trusted_proxy),
        request_timeout_s=args.request_timeout,
        max_connections=args.max_connections,
        **({"data_dir": args.data_dir} if args.data_dir else {}),
        **({"audience_threshold": args.audience_threshold} if args.audience_threshold is not None else {}),
    )
    if settings.ice.turn and not settings.ice.turn_secret:
        raise ConfigError("--turn needs --turn-secret-file, the TURN server's shared secret.")
    serve(settings)
    return 0


def _origin(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ConfigError(f"'{text}' is not a web origin like https://site.example.")
    return f"{parts.scheme}://{parts.netloc}"


def _ice_url(text: str, schemes: tuple[str, ...]) -> str:
    if not text.startswith(schemes) or any(ch.isspace() for ch in text):
        raise ConfigError(f"'{text}' is not a {' or '.join(schemes)} URL.")
    return text


def _read_secret(path: Path, what: str = "secret file") -> str:
    """A secret kept in a file (never on a command line); warns when others may read the file."""
    try:
        secret = path.read_text(encoding="utf-8").strip()
        mode = path.stat().st_mode
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the {what} {path}: {exc}.") from exc
    if not secret:
        raise ConfigError(f"The {what} {path} is empty.")
    if mode & 0o077:
        logging.warning("%s can be read by other users; chmod 600 it.", path)
    return secret


def _janus_secret(args: argparse.Namespace) -> str | None:
    """The external Janus's api secret: from a file, the environment, or (with a warning) the command line."""
    if args.janus_secret_file is not None:
        return _read_secret(args.janus_secret_file, "Janus secret file")
    if args.janus_secret is not None:
        logging.warning(
            "--janus-secret shows the secret to every user of this machine (ps, /proc); "
            "use --janus-secret-file FILE or %s instead.",
            JANUS_SECRET_ENV,
        )
        return str(args.janus_secret)
    return os.environ.get(JANUS_SECRET_ENV) or None


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x", 1))
    except ValueError as exc:
        raise ConfigError(f"'{text}' is not a size like 1280x720.") from exc
    if not (16 <= width <= 3840 and 16 <= height <= 2160):
        raise ConfigError(f"'{text}' is outside 16x16 to 3840x2160.")
    return width, height


def _bot(args: argparse.Namespace) -> int:
    from spaces_desktop.headless.bot import BotOptions, run_bot, schedule_arg
    from spaces_desktop.session.local_media import DeviceChoice

    width, height = _size(args.camera_size)
    try:
        schedule = schedule_arg(args.speak_schedule) if args.speak_schedule else None
    except ValueError as exc:
        raise ConfigError(f"--speak-schedule: {exc}") from exc
    devices = DeviceChoice(
        camera=args.camera,
        second_camera=args.second_camera,
        microphone=args.mic,
        speak_schedule=schedule,
        width=width,
        height=height,
        fps=args.fps,
        label=args.name,
    )
    options = BotOptions(
        server=args.server,
        create=args.create,
        join=args.join,
        name=args.name,
        video=args.video,
        devices=devices,
        request_to_speak=args.request_to_speak,
        raise_hand=args.raise_hand,
        muted=args.muted,
        accept_requests=args.accept_requests,
        camera_toggle_s=args.camera_toggle,
        duration=args.duration,
        json=args.json,
        start_at=args.start_at,
        unplug_camera=args.unplug_camera,
    )
    return run_bot(options)
