"""Kestra's `kestra` Python module, as scripts written for Kestra use it, over Legato's helpers:

    from kestra import Kestra
    Kestra.outputs({"a": 1})
    Kestra.counter("rows", 3, {"table": "orders"})
    Kestra.timer("load", 1.2)
    Kestra.logger().info("hello")
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import legato_helpers

__all__ = ["Kestra"]


class Kestra:
    """Static helpers that print Kestra's `::{...}::` protocol lines."""

    @staticmethod
    def outputs(values: Mapping[str, Any]) -> None:
        legato_helpers.outputs(values)

    @staticmethod
    def counter(key: str, count: float, tags: Mapping[str, str] | None = None) -> None:
        legato_helpers.counter(key, count, tags)

    @staticmethod
    def timer(key: str, duration: float | Callable[[], Any], tags: Mapping[str, str] | None = None) -> Any:
        return legato_helpers.timer(key, duration, tags)

    @staticmethod
    def logger() -> logging.Logger:
        log: logging.Logger = legato_helpers.logger("kestra")
        return log

    @staticmethod
    def _send(message: Mapping[str, Any]) -> None:
        legato_helpers.emit(message)
