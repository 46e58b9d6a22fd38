"""The web UI: the single-page app built from ui/ by `make ui` into `static/`, served at /ui/.

Files under /ui/_build/ have content hashes in their names, so browsers may keep them for a year; every other
path under /ui/ that is not a file is a client-side route and gets index.html (never cached, so a new build is
picked up at once). The build writes a Brotli and a gzip copy of each text asset (ui/scripts/precompress.mjs): a
browser that accepts one gets it instead.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from legato.api import errors

STATIC = Path(__file__).parent / "static"
HASHED = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
BUILD = "_build"  # the build's hashed files (vite.config.ts assetsDir)
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))  # Content-Encoding and file suffix, best first


def routers(static_dir: Path = STATIC) -> list[APIRouter]:
    """Routes for `/`, `/ui` and everything under `/ui/`, serving the build in `static_dir`."""
    router = APIRouter(include_in_schema=False)
    root = static_dir.resolve()

    @router.api_route("/", methods=["GET", "HEAD"])
    def home() -> Response:
        return RedirectResponse("/ui/")

    @router.api_route("/ui", methods=["GET", "HEAD"])
    def ui_root() -> Response:
        return RedirectResponse("/ui/")

    @router.api_route("/ui/{path:path}", methods=["GET", "HEAD"])
    def ui_file(path: str, request: Request) -> Response:
        return _serve(root, path, request.headers.get("accept-encoding", ""))

    return [router]


def _accepted(header: str) -> set[str]:
    """The content codings an Accept-Encoding header allows (a `q=0` one is refused)."""
    allowed = set()
    for part in header.lower().split(","):
        coding, *params = (p.strip() for p in part.split(";"))
        if coding and not any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params):
            allowed.add(coding)
    return allowed


def _serve(root: Path, path: str, accept_encoding: str = "") -> Response:
    target = (root / path).resolve()
    if path and target.is_relative_to(root) and target.is_file():
        hashed = target.parent == root / BUILD
        headers = {"Cache-Control": HASHED if hashed else NO_CACHE}
        if not hashed:
            return FileResponse(target, headers=headers)
        headers["Vary"] = "Accept-Encoding"
        accepted = _accepted(accept_encoding)
        for coding, suffix in ENCODINGS:
            encoded = target.with_name(target.name + suffix)
            if coding in accepted and encoded.is_file():
                media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
                return FileResponse(encoded, media_type=media_type, headers={**headers, "Content-Encoding": coding})
        return FileResponse(target, headers=headers)
    if path.startswith(f"{BUILD}/"):
        return JSONResponse(errors.body(f"no such UI asset: {path}").wire(), status_code=404)
    index = root / "index.html"
    if not index.is_file():
        message = "the web UI is not built: run `make ui` (it needs Node.js and npm), then restart the server"
        return JSONResponse(errors.body(message).wire(), status_code=503)
    return FileResponse(index, headers={"Cache-Control": NO_CACHE})
