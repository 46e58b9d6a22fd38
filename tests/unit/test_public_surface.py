"""The public surface is a promise to plugin authors: changing it must be a deliberate act."""

import legato
from legato import sdk


def test_package_exports() -> None:
    assert legato.__all__ == ["__version__"]
    assert legato.__version__


def test_sdk_exports_are_pinned() -> None:
    assert sorted(sdk.__all__) == sorted([
        "KV", "TASKS", "TRIGGERS", "Duration", "Effects", "Expression", "Field", "Operations", "RunContext",
        "RunnableTask", "State", "Task", "TaskFailed", "TaskLogger",
        "Message", "Poll", "PollingSource", "PollingTrigger", "RealtimeSource", "RealtimeTrigger", "TriggerContext",
        "render_as", "render_optional",
    ])
    for name in sdk.__all__:
        assert getattr(sdk, name) is not None


def test_a_plugin_written_against_the_sdk_registers_and_runs() -> None:
    import asyncio

    class Greet(sdk.RunnableTask):
        TYPE = "acme.test.Greet"
        who: str = sdk.Field(description="Who to greet.")

        async def run(self, ctx: sdk.RunContext) -> dict[str, str]:  # type: ignore[override]
            return {"greeting": f"hello {self.who}"}

    from legato.model.task import TaskRegistry

    registry = TaskRegistry()  # a private one: the process-wide registry stays as shipped
    registry.register(Greet)
    assert registry.lookup("acme.test.Greet") is Greet
    task = Greet(id="g", type="acme.test.Greet", who="you")
    assert asyncio.run(task.run(None)) == {"greeting": "hello you"}  # type: ignore[arg-type]
