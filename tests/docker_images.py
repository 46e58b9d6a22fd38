"""The container images the tests run, made here since no image registry answers: a Debian root filesystem
built with mmdebstrap from the mirror apt uses (minbase + Python), cached as a tarball keyed by the recipe,
`docker import`ed, then `docker build FROM` it once per family under the names Kestra flows use. They are stand-ins:
`ubuntu:22.04` and `alpine:latest` are this Debian, `python:3.13-slim` has Debian's Python 3.11. Each carries the
label io.legato.test-image=<key>; a tag that exists without that label (a real image on a developer's engine) is
left alone.

Measured on the 2-core machine: mmdebstrap ~45 s (debootstrap, without the excludes, ~55 s and a larger tree),
import and builds a few seconds; later runs find the images and do nothing."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

SUITE = "bookworm"
PACKAGES = ("python3", "python-is-python3", "python3-venv", "ca-certificates")  # venv+pip: as python:*-slim has them
RECIPE = 2  # bump when anything below changes what the images hold
LABEL = "io.legato.test-image"
BASE = "legato-test/debian"
CACHE = Path(os.environ.get("LEGATO_TEST_IMAGE_CACHE", "/var/cache/legato-test-images"))
SOURCES = (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list"))
MIRROR = "http://deb.debian.org/debian"
FAMILIES: dict[str, tuple[tuple[str, ...], str]] = {
    "python": (("python:3.11-slim", "python:3.11", "python:3.12-slim", "python:3.13-slim", "python:3-slim",
                "python:latest"), '["python3"]'),
    "shell": (("ubuntu:22.04", "ubuntu:24.04", "ubuntu:latest", "debian:bookworm-slim", "debian:12",
               "debian:latest", "alpine:latest", "alpine:3"), '["bash"]'),
}
# Documentation, manual pages and translations are not needed by a test and make each container's copy larger
_EXCLUDES = ("/usr/share/doc/*", "/usr/share/man/*", "/usr/share/locale/*", "/usr/share/info/*")

Log = Callable[[str], None]


def key() -> str:
    """What the images are made from: the recipe, the suite, the packages and the mirror's sources."""
    sources = next((p.read_text() for p in SOURCES if p.exists()), MIRROR)
    payload = json.dumps([RECIPE, SUITE, sorted(PACKAGES), sources, [f[0] for f in FAMILIES.values()]])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def all_tags() -> list[str]:
    return [tag for tags, _ in FAMILIES.values() for tag in tags]


def ensure(host: str, log: Log = lambda _: None) -> None:
    """Make whichever of the images is missing (or made from an older recipe) on the engine at `host`."""
    wanted = key()
    with _client(host) as client:
        stale = {name: tags for name, (tags, _) in FAMILIES.items()
                 if any(_label(client, tag) not in (wanted, "foreign") for tag in tags)}
        if not stale:
            return
        base = f"{BASE}:{wanted}"
        if _label(client, base) != wanted:
            _import(client, rootfs(wanted, log), base, wanted, log)
        for name in stale:
            tags, cmd = FAMILIES[name]
            mine = [t for t in tags if _label(client, t) != "foreign"]
            _build(client, base, mine, cmd, wanted, log)


def rootfs(wanted: str, log: Log) -> Path:
    """The root filesystem tarball for recipe `wanted`, built once per machine."""
    target = CACHE / f"debian-{SUITE}-{wanted}.tar"
    if target.exists():
        return target
    tool = shutil.which("mmdebstrap")
    if tool is None:
        raise RuntimeError("mmdebstrap is not installed (Debian: apt-get install mmdebstrap, or `make system-deps`)")
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    sources = next((str(p) for p in SOURCES if p.exists()), MIRROR)
    argv = [tool, "--variant=minbase", f"--include={','.join(PACKAGES)}", "--mode=root", "--format=tar",
            "--skip=output/dev", "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
            "--hook-dir=/usr/share/mmdebstrap/hooks/eatmydata", *(f"--dpkgopt=path-exclude={p}" for p in _EXCLUDES),
            SUITE, str(partial), sources]
    started = time.monotonic()
    log(f"building the test images' root filesystem with mmdebstrap ({SUITE}: {', '.join(PACKAGES)})")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=1200, check=False)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"mmdebstrap failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    partial.rename(target)
    log(f"root filesystem ready in {time.monotonic() - started:.0f} s: {target}")
    return target


def _import(client: httpx.Client, tarball: Path, image: str, wanted: str, log: Log) -> None:
    repo, _, tag = image.rpartition(":")
    params = [("fromSrc", "-"), ("repo", repo), ("tag", tag), ("changes", f"LABEL {LABEL}={wanted}"),
              ("changes", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")]
    with open(tarball, "rb") as body:
        answer = client.post("/images/create", params=params, content=body,
                             headers={"Content-Type": "application/x-tar"}, timeout=600)
    _check(answer, f"importing {tarball}")
    log(f"imported {image}")


def _build(client: httpx.Client, base: str, tags: list[str], cmd: str, wanted: str, log: Log) -> None:
    dockerfile = (f"FROM {base}\n"
                  f'LABEL {LABEL}="{wanted}" {LABEL}.note="a stand-in built by Legato\'s tests from Debian {SUITE}"\n'
                  "ENV LANG=C.UTF-8\n"
                  f"CMD {cmd}\n")
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile.encode())
        tar.addfile(info, io.BytesIO(dockerfile.encode()))
    params = [("t", t) for t in tags] + [("rm", "1"), ("forcerm", "1")]
    answer = client.post("/build", params=params, content=context.getvalue(),
                         headers={"Content-Type": "application/x-tar"}, timeout=600)
    _check(answer, f"building {', '.join(tags)}")
    log(f"built {', '.join(tags)}")


def _label(client: httpx.Client, image: str) -> str | None:
    """Our recipe key on `image`; "foreign" for an image we did not make; None when it does not exist."""
    answer = client.get(f"/images/{image}/json")
    if answer.status_code == 404:
        return None
    answer.raise_for_status()
    labels = (answer.json().get("Config") or {}).get("Labels") or {}
    return labels.get(LABEL, "foreign")


def _check(answer: httpx.Response, what: str) -> None:
    """The engine streams JSON lines; an `error` in any of them is a failure even with status 200."""
    if answer.status_code >= 400:
        raise RuntimeError(f"{what}: {answer.status_code} {answer.text.strip()[:500]}")
    for line in answer.text.splitlines():
        with_error = json.loads(line) if line.strip().startswith("{") else {}
        if with_error.get("error"):
            raise RuntimeError(f"{what}: {with_error['error']}")


def _client(host: str) -> httpx.Client:
    transport = httpx.HTTPTransport(uds=host.removeprefix("unix://"))
    return httpx.Client(transport=transport, base_url="http://docker", timeout=60)
