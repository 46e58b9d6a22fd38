"""SCIM 2.0 (RFC 7643 resources, RFC 7644 protocol), the pure part: the schema URNs, the error, reading a User or
Group resource into the attributes Legato keeps, the filters (`attr eq "value"` joined by `and`) and PATCH
operations (add, replace, remove; with or without a path, as Okta and Microsoft Entra send them) applied to a
resource's JSON form. No I/O: the services and the API do that."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
MEDIA_TYPE = "application/scim+json"
MAX_RESULTS = 200  # a list answers at most this many resources per page


class ScimError(Exception):
    """A refusal in SCIM's terms: an HTTP status, a `scimType` (invalidFilter, invalidValue, uniqueness,
    invalidSyntax, invalidPath, noTarget, mutability) and a detail a person can act on."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


def error_body(status: int, detail: str, scim_type: str | None = None) -> dict[str, Any]:
    """The JSON body of a SCIM error response."""
    found: dict[str, Any] = {"schemas": [ERROR], "status": str(status), "detail": detail}
    if scim_type:
        found["scimType"] = scim_type
    return found


def invalid(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


# reading resources -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UserAttributes:
    """What Legato keeps of a SCIM User."""

    user_name: str
    display_name: str
    email: str | None
    external_id: str | None
    active: bool
    password: str | None = None
    profile: dict[str, Any] | None = None  # `name` and `emails` as sent (known sub-attributes only)


@dataclass(frozen=True)
class GroupAttributes:
    """What Legato keeps of a SCIM Group; `members`: account ids, None when the resource does not say."""

    display_name: str
    external_id: str | None
    members: tuple[str, ...] | None


def get(resource: dict[str, Any], name: str) -> Any:
    """An attribute by name, without regard to case (SCIM attribute names are case-insensitive)."""
    lowered = name.lower()
    return next((value for key, value in resource.items() if key.lower() == lowered), None)


def _text(resource: dict[str, Any], name: str) -> str | None:
    value = get(resource, name)
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise invalid(f"'{name}' must be a string")
    return str(value)


def boolean(value: Any, name: str) -> bool:
    """A SCIM boolean; Entra sends "True"/"False" strings in PATCH operations."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise invalid(f"'{name}' must be true or false")


def _primary_email(resource: dict[str, Any]) -> str | None:
    emails = get(resource, "emails")
    if emails is None:
        return None
    if not isinstance(emails, list) or not all(isinstance(e, dict) for e in emails):
        raise invalid("'emails' must be a list of objects with a 'value'")
    values = [e for e in emails if isinstance(get(e, "value"), str) and get(e, "value")]
    primary = next((e for e in values if get(e, "primary") in (True, "true", "True")), values[0] if values else None)
    return str(get(primary, "value")) if primary is not None else None


_NAME_PARTS = ("formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix")
_EMAIL_PARTS = ("value", "type", "primary", "display")


def _name(resource: dict[str, Any]) -> dict[str, str] | None:
    name = get(resource, "name")
    if name is None:
        return None
    if not isinstance(name, dict):
        raise invalid("'name' must be an object (givenName, familyName, formatted)")
    found = {part: _text(name, part) for part in _NAME_PARTS}
    return {part: value for part, value in found.items() if value is not None} or None


def _display(name: dict[str, str] | None) -> str | None:
    if not name:
        return None
    parts = [p for p in (name.get("givenName"), name.get("familyName")) if p]
    return name.get("formatted") or (" ".join(parts) if parts else None)


def _emails(resource: dict[str, Any]) -> list[dict[str, Any]] | None:
    emails = get(resource, "emails")
    if not emails:
        return None
    found = []
    for email in emails:
        item = {part: get(email, part) for part in _EMAIL_PARTS}
        if isinstance(item["primary"], str):
            item["primary"] = boolean(item["primary"], "emails.primary")
        found.append({part: value for part, value in item.items() if value is not None})
    return found


def read_user(resource: Any) -> UserAttributes:
    """The attributes of a User resource (a POST or PUT body, or a patched resource); ScimError when invalid."""
    if not isinstance(resource, dict):
        raise ScimError(400, "the body must be a JSON object (a SCIM User)", "invalidSyntax")
    user_name = _text(resource, "userName")
    if not user_name or not user_name.strip():
        raise invalid("'userName' is required")
    name = _name(resource)
    email = _primary_email(resource)
    emails = _emails(resource)
    display = _text(resource, "displayName") or _display(name) or user_name
    active = get(resource, "active")
    profile = {key: value for key, value in (("name", name), ("emails", emails)) if value}
    return UserAttributes(
        user_name=user_name.strip(), display_name=display, email=email,
        external_id=_text(resource, "externalId"), active=True if active is None else boolean(active, "active"),
        password=_text(resource, "password"), profile=profile or None,
    )


def read_group(resource: Any) -> GroupAttributes:
    """The attributes of a Group resource; ScimError when invalid."""
    if not isinstance(resource, dict):
        raise ScimError(400, "the body must be a JSON object (a SCIM Group)", "invalidSyntax")
    display = _text(resource, "displayName")
    if not display or not display.strip():
        raise invalid("'displayName' is required")
    members = get(resource, "members")
    if members is not None and not isinstance(members, list):
        raise invalid("'members' must be a list of objects with a 'value' (a user's id)")
    ids = None if members is None else tuple(dict.fromkeys(_member_id(m) for m in members))
    return GroupAttributes(display_name=display.strip(), external_id=_text(resource, "externalId"), members=ids)


def _member_id(member: Any) -> str:
    value = get(member, "value") if isinstance(member, dict) else None
    if not isinstance(value, str) or not value:
        raise invalid("each member must be an object with a 'value' (a user's id)")
    return value


# filters ---------------------------------------------------------------------------------------------------
_VALUE = r'"(?:[^"\\]|\\.)*"|true|false'
_CLAUSE = re.compile(rf'\s*(?P<attr>[A-Za-z][\w:.]*)\s+(?P<op>[A-Za-z]{{2}})\s+(?P<value>{_VALUE})\s*', re.IGNORECASE)
_AND = re.compile(r"and\b", re.IGNORECASE)
_BRACKET = re.compile(rf'(\w+)\[\s*(\w+)\s+eq\s+({_VALUE})\s*\]', re.IGNORECASE)
_CASE_EXACT = frozenset({"id", "externalid", "members.value"})


@dataclass(frozen=True)
class Filter:
    """Equality clauses joined by `and`: (attribute path in lower case, value)."""

    clauses: tuple[tuple[str, str | bool], ...]

    def only(self, attribute: str) -> str | None:
        """The value when the filter is the single clause `attribute eq "value"`."""
        if len(self.clauses) == 1 and self.clauses[0][0] == attribute.lower() and isinstance(self.clauses[0][1], str):
            return self.clauses[0][1]
        return None

    def matches(self, resource: dict[str, Any]) -> bool:
        return all(_has(resource, path, value) for path, value in self.clauses)


def parse_filter(text: str) -> Filter:
    """A filter of `attr eq "value"` clauses joined by `and` (also `members[value eq "id"]`); ScimError
    invalidFilter for anything else, naming what is supported."""
    normalized = _BRACKET.sub(lambda m: f"{m.group(1)}.{m.group(2)} eq {m.group(3)}", text.strip())
    clauses: list[tuple[str, str | bool]] = []
    position = 0
    while True:
        match = _CLAUSE.match(normalized, position)
        if match is None:
            raise ScimError(400, f"cannot read the filter {text!r}: use attribute eq \"value\" clauses joined by "
                                 "'and'", "invalidFilter")
        if match.group("op").lower() != "eq":
            raise ScimError(400, f"the filter operator '{match.group('op')}' is not supported; use 'eq'",
                            "invalidFilter")
        clauses.append((_strip_schema(match.group("attr")).lower(), _literal(match.group("value"))))
        position = match.end()
        if position == len(normalized):
            return Filter(tuple(clauses))
        joined = _AND.match(normalized, position)
        if joined is None:
            raise ScimError(400, f"cannot read the filter {text!r} after {normalized[:position].strip()!r}: only "
                                 "'and' joins clauses", "invalidFilter")
        position = joined.end()


def _literal(text: str) -> str | bool:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def top_attribute(path: str) -> str:
    """The top-level attribute (lower case) of an attribute path: `name.givenName` -> `name`."""
    return _strip_schema(path.strip()).split(".")[0].split("[")[0].lower()


def _strip_schema(path: str) -> str:
    for schema in (USER, GROUP):
        if path.lower().startswith(schema.lower() + ":"):
            return path[len(schema) + 1:]
    return path


def _has(resource: dict[str, Any], path: str, wanted: str | bool) -> bool:
    head, _, sub = path.partition(".")
    value = get(resource, head)
    values = value if isinstance(value, list) else [value]
    if sub:
        values = [get(v, sub) if isinstance(v, dict) else None for v in values]
    elif values and all(isinstance(v, dict) for v in values if v is not None):
        values = [get(v, "value") if isinstance(v, dict) else None for v in values]  # `emails eq "x"`
    for found in values:
        if isinstance(wanted, bool) or isinstance(found, bool):
            if found == wanted:
                return True
        elif isinstance(found, str) and (found == wanted if path in _CASE_EXACT else found.lower() == wanted.lower()):
            return True
    return False


# PATCH -----------------------------------------------------------------------------------------------------
_PATH = re.compile(rf'^(?P<attr>[A-Za-z$][\w$-]*)(?:\[\s*(?P<fattr>\w+)\s+eq\s+(?P<fvalue>{_VALUE})\s*\])?'
                   r'(?:\.(?P<sub>[A-Za-z][\w-]*))?$', re.IGNORECASE)


def apply_patch(resource: dict[str, Any], body: Any) -> tuple[dict[str, Any], set[str]]:
    """The resource after the PatchOp `body`, and the (lower-case) top-level attributes it touched.
    Attributes of schemas Legato does not keep (the enterprise extension) are ignored."""
    if not isinstance(body, dict):
        raise ScimError(400, "the body must be a JSON object (a SCIM PatchOp)", "invalidSyntax")
    operations = get(body, "Operations")
    if not isinstance(operations, list) or not operations:
        raise invalid("a PatchOp needs a non-empty 'Operations' list")
    result = copy.deepcopy(resource)
    touched: set[str] = set()
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise invalid(f"Operations[{index}] must be an object")
        op = str(get(operation, "op") or "").lower()
        if op not in ("add", "replace", "remove"):
            raise invalid(f"Operations[{index}].op must be add, replace or remove, not {get(operation, 'op')!r}")
        path, value = get(operation, "path"), get(operation, "value")
        if path is None:
            if op == "remove":
                raise ScimError(400, f"Operations[{index}]: remove needs a path", "noTarget")
            if not isinstance(value, dict):
                raise invalid(f"Operations[{index}]: without a path, the value must be an object of attributes")
            for key, item in value.items():
                _apply(result, op, str(key), item, touched)
        elif isinstance(path, str):
            _apply(result, op, path, value, touched)
        else:
            raise ScimError(400, f"Operations[{index}].path must be a string", "invalidPath")
    return result, touched


def _key(resource: dict[str, Any], name: str) -> str:
    """The resource's own spelling of an attribute name (or the name as given when absent)."""
    return next((key for key in resource if key.lower() == name.lower()), name)


def _apply(resource: dict[str, Any], op: str, path: str, value: Any, touched: set[str]) -> None:
    if path.lower().startswith("urn:"):
        stripped = _strip_schema(path)
        if stripped == path:
            return  # an extension schema's attribute: not kept
        path = stripped
    match = _PATH.match(path)
    if match is None:
        raise ScimError(400, f"cannot read the path {path!r}", "invalidPath")
    attr, sub = match.group("attr"), match.group("sub")
    key = _key(resource, attr)
    touched.add(attr.lower())
    if match.group("fattr"):
        _apply_filtered(resource, key, op, match.group("fattr"), _literal(match.group("fvalue")), sub, value)
    elif sub:
        parent = resource.get(key)
        if not isinstance(parent, dict):
            parent = resource[key] = {}
        if op == "remove":
            parent.pop(_key(parent, sub), None)
        else:
            parent[_key(parent, sub)] = value
    elif op == "remove":
        _remove(resource, key, value)
    elif op == "add" and isinstance(resource.get(key), list):
        added = value if isinstance(value, list) else [value]
        current = resource[key]
        known = {_identity(v) for v in current}
        current.extend(v for v in added if _identity(v) not in known)
    elif op == "add" and isinstance(resource.get(key), dict) and isinstance(value, dict):
        resource[key].update(value)
    else:
        resource[key] = value


def _identity(item: Any) -> Any:
    return get(item, "value") if isinstance(item, dict) else item


def _remove(resource: dict[str, Any], key: str, value: Any) -> None:
    """Remove an attribute, or (Entra) only the listed items of a multi-valued one."""
    current = resource.get(key)
    if isinstance(current, list) and isinstance(value, list) and value:
        gone = {_identity(v) for v in value}
        resource[key] = [v for v in current if _identity(v) not in gone]
    else:
        resource.pop(key, None)


def _apply_filtered(resource: dict[str, Any], key: str, op: str, fattr: str, fvalue: str | bool, sub: str | None,
                    value: Any) -> None:
    """`emails[type eq "work"].value`, `members[value eq "id"]`: the items of a multi-valued attribute."""
    items = resource.get(key)
    items = items if isinstance(items, list) else []
    selected = [i for i in items if isinstance(i, dict) and _equal(get(i, fattr), fvalue)]
    if op == "remove":
        if sub is None:
            resource[key] = [i for i in items if i not in selected]
        else:
            for item in selected:
                item.pop(_key(item, sub), None)
        return
    if not selected:
        if op == "replace" and sub is None:
            raise ScimError(400, f"no item of '{key}' has {fattr} {fvalue!r}", "noTarget")
        selected = [{fattr: fvalue}]
        items.append(selected[0])
        resource[key] = items
    for item in selected:
        if sub is not None:
            item[_key(item, sub)] = value
        elif isinstance(value, dict):
            item.update(value)


def _equal(found: Any, wanted: str | bool) -> bool:
    if isinstance(found, str) and isinstance(wanted, str):
        return found.lower() == wanted.lower()
    return bool(found == wanted)


def page(start_index: int | None, count: int | None) -> tuple[int, int]:
    """RFC 7644 §3.4.2.4: a 1-based start (below 1 counts as 1) and a page size in [0, MAX_RESULTS]."""
    start = max(1, start_index or 1)
    size = MAX_RESULTS if count is None else min(max(0, count), MAX_RESULTS)
    return start, size
