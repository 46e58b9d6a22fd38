"""Kestra's Kafka plugin tasks (`io.kestra.plugin.kafka.*`, aiokafka: the `kafka` extra): `Produce` and `Consume`.
The client settings and record layouts they share with the Kafka triggers are in `client`; the triggers are in
legato.plugins.triggers.realtime.kafka (realtime) and legato.plugins.triggers.realtime.batch (polling)."""

from legato.plugins.kafka import consume, produce

__all__ = ["consume", "produce"]
