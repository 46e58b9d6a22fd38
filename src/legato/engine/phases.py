"""The execution's phase state, typed. It is stored in the execution's scratch under fixed keys (`main`, `final`,
`held`), so rows written before stay readable; the engine reads and writes it only through `Phases`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from legato.model.execution import Execution
from legato.model.state import State

_KEYS = ("main", "final", "held")


@dataclass(frozen=True)
class Phases:
    main: State | None = None  # how the `tasks` list ended (the `errors` list may follow)
    final: State | None = None  # the state once `finally` ended: what `afterExecution` and `execution.state` see
    held: bool = False  # an operator paused the execution: tasks that would start wait for the resume

    @classmethod
    def of(cls, execution: Execution) -> Phases:
        scratch = execution.scratch
        main, final = scratch.get("main"), scratch.get("final")
        return cls(main=State(main) if main else None, final=State(final) if final else None,
                   held=bool(scratch.get("held")))

    def into(self, scratch: dict[str, Any]) -> dict[str, Any]:
        """`scratch` with this phase state in place of the one it held (its other keys kept)."""
        out = {k: v for k, v in scratch.items() if k not in _KEYS}
        if self.main is not None:
            out["main"] = str(self.main)
        if self.final is not None:
            out["final"] = str(self.final)
        if self.held:
            out["held"] = True
        return out
