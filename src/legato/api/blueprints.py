"""Blueprints: the ready-to-run example flows shipped in legato/blueprints/, listed and searched by tag
(Kestra's `/blueprints/community` routes). Each file is a flow preceded by `# key: value` comment lines."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import PlainTextResponse

from legato.api import dto
from legato.api.context import check_tenant
from legato.api.errors import not_found
from legato.api.params import Page, paging
from legato.model.loader import load_yaml_value

router = APIRouter(prefix="/api/v1/{tenant}/blueprints/community", tags=["Blueprints"],
                   dependencies=[Depends(check_tenant)], responses=dto.ERRORS)
PACKAGE = "legato.blueprints"
BlueprintId = Annotated[str, Path(max_length=100, pattern=r"^[a-zA-Z0-9_-]+$", description="The blueprint's id.")]


def routers() -> list[APIRouter]:
    return [router]


@dataclass(frozen=True)
class Blueprint:
    id: str
    title: str
    description: str
    tags: tuple[str, ...]
    requires: tuple[str, ...]
    included_tasks: tuple[str, ...]
    source: str

    def summary(self, *, source: bool = False) -> dto.BlueprintDto:
        return dto.BlueprintDto(id=self.id, title=self.title, description=self.description, tags=list(self.tags),
                                requires=list(self.requires), included_tasks=list(self.included_tasks),
                                source=self.source if source else None)


def _types(value: Any) -> list[str]:
    """Every `type` under tasks/triggers of a flow's YAML value, in order of appearance."""
    found: list[str] = []
    if isinstance(value, dict):
        kind = value.get("type")
        if isinstance(kind, str) and "id" in value:
            found.append(kind)
        for child in value.values():
            found.extend(_types(child))
    elif isinstance(value, list):
        for child in value:
            found.extend(_types(child))
    return found


def parse(name: str, text: str) -> Blueprint:
    """A blueprint file: header comment lines `# title:`, `# tags:`, `# requires:`, then the flow."""
    header: dict[str, str] = {}
    lines = text.splitlines(keepends=True)
    start = 0
    for start, line in enumerate(lines):  # noqa: B007 - the index is used after the loop
        if not line.startswith("#"):
            break
        key, _, value = line[1:].partition(":")
        header[key.strip().lower()] = value.strip()
    source = "".join(lines[start:])
    flow = load_yaml_value(source)
    if not isinstance(flow, dict) or "title" not in header:
        raise ValueError(f"blueprint {name}: needs a '# title:' header and a flow")
    tags = tuple(t.strip() for t in header.get("tags", "").split(",") if t.strip())
    requires = tuple(t.strip() for t in header.get("requires", "").split(",") if t.strip())
    types = tuple(dict.fromkeys(_types({k: flow.get(k) for k in ("tasks", "errors", "finally", "triggers")})))
    return Blueprint(id=str(flow.get("id", name)), title=header["title"], description=str(flow.get("description") or "").strip(),
                     tags=tags, requires=requires, included_tasks=types, source=source)


@lru_cache(maxsize=1)
def all_blueprints() -> tuple[Blueprint, ...]:
    """Every shipped blueprint, by title."""
    files = [f for f in resources.files(PACKAGE).iterdir() if f.name.endswith(".yaml")]
    found = [parse(f.name, f.read_text(encoding="utf-8")) for f in files]
    return tuple(sorted(found, key=lambda b: b.title.lower()))


def _get(blueprint_id: str) -> Blueprint:
    for blueprint in all_blueprints():
        if blueprint.id == blueprint_id:
            return blueprint
    raise not_found(f"no blueprint '{blueprint_id}'")


@router.get("", summary="Search blueprints", response_model=dto.Paged[dto.BlueprintDto])
def search_blueprints(
    page: Annotated[Page, Depends(paging)],
    q: Annotated[str | None, Query(max_length=200, description="Text in the title, description or task types.")] = None,
    tags: Annotated[list[str] | None, Query(max_length=20, description="Blueprints having all these tags.")] = None,
) -> dto.Paged[dto.BlueprintDto]:
    """Blueprints matching the text and every tag, by title."""
    needle = (q or "").strip().lower()
    wanted = set(tags or [])
    found = [b for b in all_blueprints()
             if wanted <= set(b.tags)
             and (not needle or needle in " ".join((b.id, b.title, b.description, *b.tags, *b.included_tasks)).lower())]
    return dto.Paged[dto.BlueprintDto](results=[b.summary() for b in page.slice(found)], total=len(found))


@router.get("/tags", summary="Tags of the blueprints", response_model=list[dto.BlueprintTag])
def blueprint_tags() -> list[dto.BlueprintTag]:
    """Every tag with how many blueprints carry it, by name."""
    counts: dict[str, int] = {}
    for blueprint in all_blueprints():
        for tag in blueprint.tags:
            counts[tag] = counts.get(tag, 0) + 1
    return [dto.BlueprintTag(id=tag, name=tag, count=n) for tag, n in sorted(counts.items())]


@router.get("/{id}", summary="Get a blueprint", response_model=dto.BlueprintDto)
def get_blueprint(id: BlueprintId) -> dto.BlueprintDto:
    """The blueprint with its flow source."""
    return _get(id).summary(source=True)


@router.get("/{id}/flow", summary="A blueprint's flow source", response_class=PlainTextResponse,
            responses={200: {"content": {"application/x-yaml": {"schema": {"description": "A flow document (YAML)."}}}}})
def blueprint_flow(id: BlueprintId) -> PlainTextResponse:
    """The flow YAML, ready to create or edit."""
    return PlainTextResponse(_get(id).source, media_type="application/x-yaml")
