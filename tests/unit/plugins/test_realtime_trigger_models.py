"""Every realtime trigger is registered under its canonical and Kestra names, documented, its examples parse
in a flow, and a misspelt or missing property is an error that names it."""

from __future__ import annotations

import pytest

from legato.flows import parse_flow
from legato.model.errors import FlowValidationError
from legato.model.task import TRIGGERS
from legato.plugins.triggers.base import PollingTrigger, RealtimeTrigger, trigger_kind
from legato.plugins.triggers.realtime import batch, postgresql  # noqa: F401 - registers the realtime triggers
from tests.builders import log_flow
from tests.unit.plugins.documented import assert_documented

EXPECTED = {
    "redis.list.RealtimeTrigger": ("io.kestra.plugin.redis.list.RealtimeTrigger", "io.kestra.plugin.redis.RealtimeTriggerList",
                                   "io.kestra.plugin.redis.RealtimeTrigger"),
    "redis.pubsub.RealtimeTrigger": (),
    "redis.stream.RealtimeTrigger": (),
    "amqp.RealtimeTrigger": ("io.kestra.plugin.amqp.RealtimeTrigger",),
    "mqtt.RealtimeTrigger": ("io.kestra.plugin.mqtt.RealtimeTrigger",),
    "nats.RealtimeTrigger": ("io.kestra.plugin.nats.RealtimeTrigger", "io.kestra.plugin.nats.core.RealtimeTrigger"),
    "nats.SubjectRealtimeTrigger": (),
    "kafka.RealtimeTrigger": ("io.kestra.plugin.kafka.RealtimeTrigger",),
    "jdbc.postgresql.ListenTrigger": (),
}
BATCH = {
    "redis.list.Trigger": ("io.kestra.plugin.redis.list.Trigger", "io.kestra.plugin.redis.TriggerList"),
    "amqp.Trigger": ("io.kestra.plugin.amqp.Trigger",),
    "mqtt.Trigger": ("io.kestra.plugin.mqtt.Trigger",),
    "nats.Trigger": ("io.kestra.plugin.nats.Trigger", "io.kestra.plugin.nats.core.Trigger"),
    "kafka.Trigger": ("io.kestra.plugin.kafka.Trigger",),
}
BATCHES = sorted((c for c in TRIGGERS.classes() if c.TYPE in BATCH), key=lambda c: c.TYPE)
REALTIME = sorted((c for c in TRIGGERS.classes() if issubclass(c, RealtimeTrigger) and c.TYPE in EXPECTED), key=lambda c: c.TYPE)
FLOW = log_flow(namespace="tests.realtime")


def test_every_realtime_trigger_is_registered_under_all_its_names() -> None:
    assert {c.TYPE for c in REALTIME} == set(EXPECTED)
    for canonical, aliases in EXPECTED.items():
        cls = TRIGGERS.lookup(canonical)
        assert cls is not None and aliases == cls.ALIASES
        assert all(TRIGGERS.lookup(alias) is cls for alias in aliases)


@pytest.mark.parametrize("cls", REALTIME, ids=lambda c: c.TYPE)
def test_realtime_trigger_is_documented_and_its_examples_parse(cls: type[RealtimeTrigger]) -> None:
    assert_documented(cls)
    for example in cls.EXAMPLES:
        trigger = parse_flow(FLOW + example).triggers[0]
        assert isinstance(trigger, cls) and trigger_kind(trigger) == "realtime"
        assert trigger.source() is trigger


def test_a_misspelt_property_is_an_error_naming_it() -> None:
    with pytest.raises(FlowValidationError, match="serdType"):
        parse_flow(FLOW + "triggers:\n  - id: w\n    type: io.kestra.plugin.redis.list.RealtimeTrigger\n    url: redis://h\n    key: k\n    serdType: JSON\n")


def test_a_missing_required_property_is_an_error_naming_it() -> None:
    with pytest.raises(FlowValidationError, match="queue"):
        parse_flow(FLOW + "triggers:\n  - id: w\n    type: io.kestra.plugin.amqp.RealtimeTrigger\n    host: localhost\n")


def test_an_unknown_serde_type_is_an_error() -> None:
    with pytest.raises(FlowValidationError, match="serdeType"):
        parse_flow(FLOW + "triggers:\n  - id: w\n    type: io.kestra.plugin.mqtt.RealtimeTrigger\n    server: tcp://h:1883\n    topic: t\n    serdeType: XML\n")


def test_every_batch_trigger_is_registered_polls_and_its_examples_parse() -> None:
    assert {c.TYPE for c in BATCHES} == set(BATCH)
    for cls in BATCHES:
        assert BATCH[cls.TYPE] == cls.ALIASES
        assert all(TRIGGERS.lookup(alias) is cls for alias in cls.ALIASES)
        assert cls.__doc__ and cls.EXAMPLES
        for example in cls.EXAMPLES:
            trigger = parse_flow(FLOW + example).triggers[0]
            assert isinstance(trigger, PollingTrigger) and trigger_kind(trigger) == "polling"
            assert isinstance(trigger.source(), batch.Batch)


def test_a_batch_trigger_needs_max_records_or_max_duration() -> None:
    with pytest.raises(FlowValidationError, match="set maxRecords or maxDuration"):
        parse_flow(FLOW + "triggers:\n  - id: w\n    type: io.kestra.plugin.amqp.Trigger\n    host: localhost\n    queue: q\n")
