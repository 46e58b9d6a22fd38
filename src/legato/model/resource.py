"""Reading one YAML resource that is not a flow (a test suite, an app, a dashboard) into its model, with every
problem located at its file, line and path, as flows are."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from legato.model.errors import FlowValidationError, Loc, Problem, name_unknown_properties, problems_from
from legato.model.loader import parse_documents

M = TypeVar("M", bound=BaseModel)


def parse_resource(text: str, name: str, model: type[M], *, kind: str, shape: str,
                   check: Callable[[M], Iterable[tuple[Loc, str]]] | None = None,
                   untag: Callable[[ValidationError], ValidationError] | None = None) -> M:
    """The one YAML map in `text` as `model` ("expected one <kind>" otherwise; `shape` says what the map holds),
    then `check`ed for what the model alone cannot tell (each finding at its path). `untag` rewrites the
    validation errors' paths first (tagged unions put their tags in them). FlowValidationError names `name`."""
    docs = [d for d in parse_documents(text, source=name) if d.value is not None or d.problems]
    if len(docs) != 1:
        found = "no YAML document" if not docs else f"{len(docs)} YAML documents"
        raise FlowValidationError([Problem("", f"expected one {kind}, found {found}", None, None, name)])
    doc = docs[0]
    if doc.problems:
        raise FlowValidationError(doc.problems)
    if not isinstance(doc.value, dict):
        raise FlowValidationError([Problem("", shape, doc.line, 1, name)])
    try:
        value = model.model_validate(doc.value)
    except ValidationError as exc:
        error = untag(exc) if untag else exc
        raise FlowValidationError(problems_from(name_unknown_properties(model, error), doc.value, doc.positions,
                                                name)) from None
    findings = list(check(value)) if check else []
    if findings:
        details: list[InitErrorDetails] = [
            {"type": PydanticCustomError(kind.replace(" ", "_"), message), "loc": loc, "input": None}
            for loc, message in findings]
        raise FlowValidationError(problems_from(ValidationError.from_exception_data(model.__name__, details),
                                                doc.value, doc.positions, name))
    return value
