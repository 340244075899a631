"""The demo's stand-in for the internal applications behind the gateway.

One small aiohttp server answers for every demo application. It accepts any
method on any path and answers with JSON describing what reached it: the
application (from the ``Host`` header), the method, the path, the identity
and device headers the gateway added after the gate allowed the request, and
every header it received, so tests can check what a client could and could
not smuggle through.
"""

from __future__ import annotations

from aiohttp import web

IDENTITY_HEADERS = {
    "user": "X-Auth-Request-User",
    "email": "X-Auth-Request-Email",
    "groups": "X-Auth-Request-Groups",
    "preferred_username": "X-Auth-Request-Preferred-Username",
    "device_trust": "X-Ztkit-Device-Trust",
    "access_level": "X-Ztkit-Access-Level",
}
"""Fields of the answer and the header each one comes from."""


def application() -> web.Application:
    """The sample application: echoes what the gateway forwarded."""
    app = web.Application()
    app.router.add_route("*", "/{path:.*}", _echo)
    return app


async def _echo(request: web.Request) -> web.Response:
    # The body is read so a POST completes normally, and only its size is
    # reported: the demo's apps keep no data.
    body = await request.read()
    host = request.host.rpartition(":")[0] or request.host
    answer: dict[str, object] = {
        "app": host.split(".", 1)[0],
        "method": request.method,
        "path": request.path_qs,
        "body_bytes": len(body),
    }
    for field, header in IDENTITY_HEADERS.items():
        answer[field] = request.headers.get(header)
    groups = answer["groups"]
    answer["groups"] = groups.split(",") if isinstance(groups, str) and groups else []
    answer["headers"] = [[name, value] for name, value in request.headers.items()]
    return web.json_response(answer)
