"""The API's OpenAPI document, built without a server or a database: the single source of the wire types.

    python -m legato.api.openapi [FILE]     # the document as JSON, to FILE or stdout

`make ui-types` turns it into `ui/src/api/types.ts` (openapi-typescript); a test fails when that file is stale.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from legato.api.app import create_app
from legato.store import open_store


def document() -> dict[str, Any]:
    """The OpenAPI document the server serves at /api/openapi.json (building it reads no table)."""
    with tempfile.TemporaryDirectory(prefix="legato-openapi-") as tmp:
        store = open_store(f"sqlite:///{tmp}/openapi.db")
        try:
            return create_app(store, data_dir=Path(tmp)).openapi()
        finally:
            store.close()


def main(argv: list[str]) -> int:
    text = json.dumps(document(), indent=1) + "\n"
    if argv:
        Path(argv[0]).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
