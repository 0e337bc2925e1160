"""The share link's web page and the browser player's files, served from the package.

`/s/{id}` opened in a browser is a page (title, host, status, "Open in Spaces
Desktop", listen and watch in the browser); asked for JSON (`Accept:
application/json`) it stays the Space's preview. The page is same-origin with the
API, so it needs no CORS, and a strict Content-Security-Policy keeps anything but
the package's own script from running in it.
"""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from spaces_desktop.assets import resource
from spaces_desktop.errors import NotFound
from spaces_desktop.server.service import SpacesService

ASSETS = {
    "player.js": "text/javascript; charset=utf-8",
    "player.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "media-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def web_router(service: SpacesService) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/s/{space_id}")
    async def share_page(space_id: str, request: Request) -> Response:
        accept = request.headers.get("accept", "")
        if "text/html" not in accept:
            return JSONResponse(service.preview(space_id).model_dump(mode="json"))
        try:
            preview = service.preview(space_id)
            title, host = preview.title, preview.host_name
        except NotFound:
            title, host = "Space not found", ""
        return Response(_page(title, host), media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    @router.get("/web/{name}")
    async def asset(name: str) -> Response:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise NotFound("No such file.")
        body = resource("web", name).read_bytes()
        return Response(body, media_type=media_type, headers={**PAGE_HEADERS, "Cache-Control": "max-age=300"})

    return router


def _page(title: str, host: str) -> str:
    """The page shell; the script fills it from the preview and the event stream.

    Everything that came from people goes in escaped (the title, the host's name);
    the script itself only ever sets textContent.
    """
    template = resource("web", "player.html").read_text(encoding="utf-8")
    description = f"A live Space hosted by {host}" if host else "A live Space"
    return template.replace("{{title}}", html.escape(title)).replace(
        "{{description}}", html.escape(description)
    )


__all__ = ["web_router"]
