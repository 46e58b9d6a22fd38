"""The web UI: the single-page app built from ui/ by `make ui` into `static/`, served at /ui/.

Files under /ui/_build/ have content hashes in their names, so browsers may keep them for a year; every other
path under /ui/ that is not a file is a client-side route and gets index.html (never cached, so a new build is
picked up at once).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from legato.api import errors

STATIC = Path(__file__).parent / "static"
HASHED = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
BUILD = "_build"  # the build's hashed files (vite.config.ts assetsDir)


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
    def ui_file(path: str) -> Response:
        return _serve(root, path)

    return [router]


def _serve(root: Path, path: str) -> Response:
    target = (root / path).resolve()
    if path and target.is_relative_to(root) and target.is_file():
        cache = HASHED if target.parent == root / BUILD else NO_CACHE
        return FileResponse(target, headers={"Cache-Control": cache})
    if path.startswith(f"{BUILD}/"):
        return JSONResponse(errors.body(f"no such UI asset: {path}").wire(), status_code=404)
    index = root / "index.html"
    if not index.is_file():
        message = "the web UI is not built: run `make ui` (it needs Node.js and npm), then restart the server"
        return JSONResponse(errors.body(message).wire(), status_code=503)
    return FileResponse(index, headers={"Cache-Control": NO_CACHE})
