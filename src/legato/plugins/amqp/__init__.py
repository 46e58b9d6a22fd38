"""Kestra's AMQP plugin tasks (`io.kestra.plugin.amqp.*`, RabbitMQ with aio-pika: the `amqp` extra): `Publish`.
The AMQP triggers are in legato.plugins.triggers.realtime.amqp (realtime) and legato.plugins.triggers (polling).
Registered through the `legato.plugins` entry point `amqp`."""

from legato.plugins.amqp import publish

__all__ = ["publish"]
