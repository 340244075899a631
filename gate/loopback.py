"""Running an aiohttp application on a loopback port, for the demo and the tests."""

from __future__ import annotations

import asyncio
import signal

from aiohttp import web

LOOPBACK = "127.0.0.1"


class LoopbackServer:
    """An aiohttp application served on ``127.0.0.1``.

    Port 0 (the default) lets the kernel pick a free port; ``port`` tells
    which one it chose once ``start`` has returned.
    """

    def __init__(
        self, app: web.Application, port: int = 0, *, shutdown_timeout: float = 2.0
    ) -> None:
        # Cancelling a handler when its client goes away keeps a stand-in that
        # is told to hang from holding requests long after their callers left.
        self._runner = web.AppRunner(
            app,
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=shutdown_timeout,
        )
        self._requested_port = port
        self.port = 0
        """The port served on; 0 until started."""

    @property
    def url(self) -> str:
        """The server's base address, ``http://127.0.0.1:PORT``."""
        return f"http://{LOOPBACK}:{self.port}"

    async def start(self) -> None:
        """Bind and start serving.

        Raises:
            OSError: The port cannot be bound.
        """
        await self._runner.setup()
        site = web.TCPSite(self._runner, LOOPBACK, self._requested_port)
        try:
            await site.start()
        except OSError:
            await self._runner.cleanup()
            raise
        self.port = int(self._runner.addresses[0][1])

    async def serve_until_signalled(self) -> None:
        """Keep serving until SIGTERM or SIGINT, then stop.

        The server must have been started.
        """
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signal_number, stop.set)
        await stop.wait()
        await self.stop()

    async def stop(self) -> None:
        """Stop serving and release the port; in-flight handlers are cancelled."""
        await self._runner.cleanup()
