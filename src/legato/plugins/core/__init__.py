"""Legato's core runnable tasks, one module per Kestra domain. Importing this package registers them all."""

from legato.plugins.core import debug, execution, flow, kv, log, output, state, trigger, variables

__all__ = ["debug", "execution", "flow", "kv", "log", "output", "state", "trigger", "variables"]
