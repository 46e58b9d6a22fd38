"""The working directory of a JDBC task run: files staged for the SQL to read (`inputFiles`, a SQLite or
DuckDB database from internal storage, MySQL's `inputFile`), files it writes (`outputFiles`), and the
variables the SQL is rendered with (`workingDir`, `outputFiles.<name>`, `inputFile`).

Inside a WorkingDirectory task it is that directory; otherwise a private temporary one, removed at the end.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core.storage_files import output_uri
from legato.plugins.scripts import files
from legato.storage import StorageError


@dataclass
class Workspace:
    dir: Path
    own: bool  # a temporary directory this run made (removed by close)
    variables: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Path] = field(default_factory=dict)  # outputFiles: name → path

    @classmethod
    def open(cls, ctx: RunContext) -> Workspace:
        if ctx.working_dir is not None:
            return cls(ctx.working_dir, own=False, variables={"workingDir": str(ctx.working_dir)})
        path = Path(tempfile.mkdtemp(prefix="legato-jdbc-"))
        return cls(path, own=True, variables={"workingDir": str(path)})

    def close(self) -> None:
        if self.own:
            shutil.rmtree(self.dir, ignore_errors=True)

    def stage(self, ctx: RunContext, mapping: dict[str, str]) -> None:
        """Write input files (content, or a storage URI fetched from storage) into the directory."""
        files.stage_inputs(self.dir, mapping, ctx.storage, ctx.flow_namespace)

    def stage_one(self, ctx: RunContext, name: str, uri: str) -> Path:
        """Fetch the stored file `uri` as `name` in the directory."""
        target = files.inside(self.dir, name, "file")
        try:
            ctx.storage.download(uri, target)
        except StorageError as exc:
            raise TaskFailed(f"{name}: {exc}") from None
        return target

    def declare_outputs(self, names: list[str]) -> None:
        """Reserve the paths of `outputFiles`, given to the SQL as `{{ outputFiles.<name> }}`."""
        for name in names:
            self.outputs[name] = files.inside(self.dir, name, "output file")
        self.variables["outputFiles"] = {k: str(v) for k, v in self.outputs.items()}

    def temp_name(self, suffix: str) -> Path:
        return self.dir / f"{uuid.uuid4().hex}{suffix}"

    def upload_outputs(self, ctx: RunContext) -> dict[str, str]:
        """Store each declared output file that the SQL wrote."""
        stored: dict[str, str] = {}
        for name, path in self.outputs.items():
            if not path.exists():
                raise TaskFailed(f"output file {name!r} was declared in outputFiles but the SQL did not write it")
            stored[name] = put(ctx, path, name)
        return stored


def put(ctx: RunContext, path: Path, name: str) -> str:
    """Store the local file `path` as this task run's file `name`."""
    try:
        return ctx.storage.put_file(output_uri(ctx, name), path)
    except StorageError as exc:
        raise TaskFailed(str(exc)) from None
