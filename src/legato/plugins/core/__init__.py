"""Legato's core runnable tasks, one module per Kestra domain. Importing this package registers them all."""

from legato.plugins.core import (
    debug,
    execution,
    flow,
    http,
    kv,
    local_files,
    log,
    log_fetch,
    namespace,
    output,
    purge,
    state,
    storage,
    storage_items,
    templating,
    trigger,
    variables,
)

__all__ = ["debug", "execution", "flow", "http", "kv", "local_files", "log", "log_fetch", "namespace", "output", "purge", "state", "storage", "storage_items",
           "templating", "trigger", "variables"]
