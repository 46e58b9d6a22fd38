"""How the webserver serves the built UI: / and /ui redirect to /ui/, client routes fall back to index.html,
hashed assets are cached for a year, a missing build is a clear 503, and no path escapes the build folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from legato.api import ui


@pytest.fixture
def build(tmp_path: Path) -> Path:
    static = tmp_path / "static"
    (static / "_build").mkdir(parents=True)
    (static / "index.html").write_text("<!doctype html><title>Legato</title>")
    (static / "_build" / "index-abc123.js").write_text("console.log('ui')")
    (tmp_path / "secret.txt").write_text("outside the build")
    return static


def client(static: Path) -> TestClient:
    app = FastAPI()
    for router in ui.routers(static):
        app.include_router(router)
    return TestClient(app, follow_redirects=False)


def test_root_and_bare_ui_redirect_to_the_app(build: Path) -> None:
    http = client(build)
    for path in ("/", "/ui"):
        response = http.get(path)
        assert response.status_code == 307
        assert response.headers["location"] == "/ui/"


@pytest.mark.parametrize("path", ["/ui/", "/ui/flows", "/ui/flows/company.team/my.flow/editor", "/ui/executions/abc/logs",
                                  "/ui/assets", "/ui/assets/sample_data.nyc.taxi"])
def test_client_routes_get_index_html_uncached(build: Path, path: str) -> None:
    response = client(build).get(path)
    assert response.status_code == 200
    assert "<title>Legato</title>" in response.text
    assert response.headers["cache-control"] == "no-cache"


def test_hashed_assets_are_cached_for_a_year(build: Path) -> None:
    response = client(build).get("/ui/_build/index-abc123.js")
    assert response.status_code == 200
    assert response.text == "console.log('ui')"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_a_missing_asset_is_404_not_the_app(build: Path) -> None:
    response = client(build).get("/ui/_build/index-gone.js")
    assert response.status_code == 404
    assert "index-gone.js" in response.json()["message"]


@pytest.mark.parametrize("path", ["/ui/../secret.txt", "/ui/%2e%2e/secret.txt", "/ui/..%2fsecret.txt"])
def test_no_path_reaches_outside_the_build(build: Path, path: str) -> None:
    response = client(build).get(path)
    assert "outside the build" not in response.text


def test_without_a_build_the_answer_says_how_to_make_one(tmp_path: Path) -> None:
    response = client(tmp_path / "nothing").get("/ui/flows")
    assert response.status_code == 503
    assert "make ui" in response.json()["message"]



def _raw(http: TestClient, path: str, accept: str) -> tuple[dict[str, str], bytes]:
    with http.stream("GET", path, headers={"Accept-Encoding": accept}) as response:
        assert response.status_code == 200
        return dict(response.headers), b"".join(response.iter_raw())


@pytest.mark.parametrize(("accept", "coding", "body"), [
    ("gzip, deflate, br, zstd", "br", b"brotli bytes"), ("gzip, deflate", "gzip", b"gzip bytes"),
    ("br;q=0, gzip", "gzip", b"gzip bytes"), ("identity", None, b"console.log('ui')"),
])
def test_an_asset_is_sent_precompressed_to_a_browser_that_accepts_it(build: Path, accept: str, coding: str | None,
                                                                     body: bytes) -> None:
    (build / "_build" / "index-abc123.js.br").write_bytes(b"brotli bytes")  # what ui/scripts/precompress.mjs writes
    (build / "_build" / "index-abc123.js.gz").write_bytes(b"gzip bytes")
    headers, raw = _raw(client(build), "/ui/_build/index-abc123.js", accept)
    assert raw == body
    assert headers.get("content-encoding") == coding
    assert headers["content-type"].startswith("text/javascript")
    assert headers["vary"] == "Accept-Encoding" and headers["cache-control"] == "public, max-age=31536000, immutable"


def test_an_asset_without_a_compressed_copy_is_sent_as_it_is(build: Path) -> None:
    headers, raw = _raw(client(build), "/ui/_build/index-abc123.js", "br, gzip")
    assert raw == b"console.log('ui')" and "content-encoding" not in headers
