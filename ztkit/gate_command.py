"""``ztkit gate``: run the posture gate, or try it locally behind nginx.

``serve`` hands its arguments to the gate's own command line
(``python -m gate serve``); ``demo`` starts the gate with nginx, real client
certificates and the sample organisation on loopback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

# The gate is imported when a subcommand runs, not when the parser is built,
# so that other ztkit commands start without aiohttp and cryptography.
EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


def add_parser(commands: Any) -> None:
    """Add ``ztkit gate serve|demo``."""
    gate = commands.add_parser(
        "gate",
        help="the device posture gate: serve it, or try it locally",
        description="The posture gate answers the gateway's external-auth "
        "sub-request: who, on which device, may do what with which data.",
    )
    actions = gate.add_subparsers(dest="gate_command", metavar="ACTION", required=True)

    # Every argument, --help included, belongs to the gate's own parser.
    serve = actions.add_parser(
        "serve",
        help="run the gate (arguments as for python -m gate serve; try --help)",
        add_help=False,
        prefix_chars="\0",
    )
    serve.add_argument("arguments", nargs=argparse.REMAINDER)
    serve.set_defaults(run=run_serve)

    demo = actions.add_parser(
        "demo",
        help="start nginx, the gate, an identity stand-in and a sample app on "
        "loopback with real client certificates",
        description="Write a device CA, device certificates, a device feed, "
        "sessions and configuration into a working folder, start nginx (TLS, "
        "client certificates, auth_request), the gate, a stand-in for "
        "oauth2-proxy and a sample app on loopback, and run until Ctrl-C.",
    )
    demo.add_argument(
        "--port",
        type=int,
        default=8443,
        help="the port nginx listens on at 127.0.0.1 (default: 8443)",
    )
    demo.add_argument(
        "--workdir",
        type=Path,
        metavar="DIR",
        help="where to write certificates, configuration and logs "
        "(default: a new temporary folder)",
    )
    demo.set_defaults(run=run_demo)


def run_serve(arguments: argparse.Namespace) -> int:
    """Run the gate's own command line with the remaining arguments."""
    from gate.server import main

    return main(["serve", *arguments.arguments])


def run_demo(arguments: argparse.Namespace) -> int:
    """Run the demo until SIGTERM or SIGINT."""
    from gate.demo import DemoStartError
    from gate.demo import run_demo as run
    from gate.errors import GateError
    from ztkit.cli import SAMPLE_DIR

    try:
        return run(SAMPLE_DIR / "inventory.yaml", arguments.port, arguments.workdir)
    except DemoStartError as error:
        print(f"ztkit: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except GateError as error:
        print(f"ztkit: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
