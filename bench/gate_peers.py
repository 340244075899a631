"""The servers around the gate in the gate benchmark, each in its own process.

``python bench/gate_peers.py app PORT`` serves the demo application, and
``allow PORT`` an auth endpoint that allows everything (the same aiohttp stack
as the gate, doing no work). The oauth2-proxy stand-in runs from its own
command line, ``python -m gate.identity_standin``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gate import demo_app
from gate.loopback import LoopbackServer


async def _allow(request: web.Request) -> web.Response:
    return web.Response(status=200)


def always_allow() -> web.Application:
    """An auth endpoint that allows every request without looking at it."""
    app = web.Application()
    app.router.add_route("*", "/auth", _allow)
    app.router.add_route("*", "/auth/{tail:.*}", _allow)
    return app


async def serve(application: web.Application, port: int) -> None:
    """Serve on loopback until SIGTERM or SIGINT."""
    server = LoopbackServer(application, port)
    await server.start()
    await server.serve_until_signalled()


def main(argv: list[str]) -> int:
    """Start one peer: ``app`` or ``allow``."""
    role, port = argv[0], int(argv[1])
    if role == "app":
        application = demo_app.application()
    elif role == "allow":
        application = always_allow()
    else:
        print(f"unknown role {role!r}; expected app or allow", file=sys.stderr)
        return 2
    asyncio.run(serve(application, port))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
