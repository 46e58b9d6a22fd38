"""The UI's wire types: `ui/src/api/types.ts` is generated from the API's OpenAPI document by openapi-typescript
(`make ui-types`). A change of a route's answer that is not regenerated and committed fails here."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from legato.api import openapi

ROOT = Path(__file__).resolve().parents[3]
CHECKED_IN = ROOT / "ui" / "src" / "api" / "types.ts"
GENERATOR = ROOT / "ui" / "node_modules" / ".bin" / "openapi-typescript"


def test_the_checked_in_ui_types_are_those_the_openapi_document_generates(tmp_path: Path) -> None:
    assert GENERATOR.exists(), f"{GENERATOR} is missing: run `make install` (it installs the UI's npm packages)"
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(openapi.document(), indent=1) + "\n")
    fresh = tmp_path / "types.ts"
    subprocess.run([str(GENERATOR), str(document), "--output", str(fresh)], cwd=ROOT / "ui", check=True,
                   capture_output=True, timeout=120)
    assert fresh.read_text() == CHECKED_IN.read_text(), (
        "ui/src/api/types.ts is stale: the API's OpenAPI document changed; run `make ui-types` and commit the file")

