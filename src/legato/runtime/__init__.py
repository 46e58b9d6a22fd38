"""Wiring: the services of one process (executor, worker, timers) around one store, and the actions
shared by the CLI and the API (deploy a flow, start, kill, resume, restart an execution)."""
