"""Getting the image a container needs onto the engine, by the task's `pullPolicy`:

- NEVER: the image must be there already; otherwise the task fails naming it.
- IF_NOT_PRESENT (Legato's default): pull only when it is not there; a failed pull fails the task, naming the
  image and the registry's answer.
- ALWAYS (Kestra's default): pull every time; when the registry cannot be reached but the image is on the engine,
  the task says so in its log and runs that image, as an offline worker should, rather than failing."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping

from legato.runners.base import RunnerError
from legato.runners.docker_api import EngineClient, EngineError


def pull_query(image: str) -> dict[str, str]:
    """The query of POST /images/create for `image` (name[:tag] or name@digest; the tag defaults to latest)."""
    if "@" in image:
        return {"fromImage": image}
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        repo, _, tag = image.rpartition(":")
        return {"fromImage": repo, "tag": tag}
    return {"fromImage": image, "tag": "latest"}


def registry_auth(credentials: Mapping[str, str]) -> str | None:
    """The X-Registry-Auth header for a pull or push, from Kestra-style credentials (`auth` is base64
    user:password, as in a Docker config file)."""
    if not credentials:
        return None
    username, password = credentials.get("username"), credentials.get("password")
    if credentials.get("auth") and not username:
        decoded = base64.b64decode(credentials["auth"]).decode(errors="replace")
        username, _, password = decoded.partition(":")
    auth = {
        "username": username, "password": password,
        "serveraddress": _registry_host(credentials.get("registry")),
        "identitytoken": credentials.get("identityToken"), "registrytoken": credentials.get("registryToken"),
    }
    encoded = json.dumps({k: v for k, v in auth.items() if v}).encode()
    return base64.urlsafe_b64encode(encoded).decode()


def auth_headers(credentials: Mapping[str, str]) -> dict[str, str] | None:
    auth = registry_auth(credentials)
    return {"X-Registry-Auth": auth} if auth else None


async def present(engine: EngineClient, image: str) -> bool:
    """Whether `image` is on the engine."""
    try:
        await engine.call("GET", f"/images/{image}/json")
    except EngineError as exc:
        if exc.status == 404:
            return False
        raise
    return True


async def pull(engine: EngineClient, image: str, credentials: Mapping[str, str]) -> None:
    """Pull `image`; EngineError with the registry's answer when it fails."""
    await engine.progress("POST", "/images/create", params=pull_query(image), headers=auth_headers(credentials),
                          timeout=None)


async def ensure_image(engine: EngineClient, image: str, policy: str, credentials: Mapping[str, str],
                       note: Callable[[str], None]) -> None:
    """Make `image` available by `policy` (see the module's doc); RunnerError naming the image otherwise."""
    where = str(engine.address)
    if policy == "NEVER":
        if not await present(engine, image):
            raise RunnerError(f"image {image} is not on the Docker engine at {where} and pullPolicy is NEVER: build "
                              "it there (docker.Build) or load it first")
        return
    if policy == "IF_NOT_PRESENT" and await present(engine, image):
        return
    try:
        await pull(engine, image, credentials)
    except EngineError as exc:
        if policy == "ALWAYS" and await present(engine, image):
            note(f"Pulling image {image} failed ({exc}); running the image already on the Docker engine")
            return
        raise RunnerError(f"image {image} is not on the Docker engine at {where} and pulling it failed: {exc}") from None


def _registry_host(registry: str | None) -> str | None:
    """A registry address as the engine keys credentials: host[:port], Docker Hub's index URL kept as is."""
    if not registry:
        return None
    if "index.docker.io" in registry:
        return registry
    return registry.split("://", 1)[-1].split("/", 1)[0]
