"""What a Legato process tells its operators: Prometheus metrics (`metrics`), OpenTelemetry traces of executions
and task attempts (`tracing`, with the optional `otel` extra) and structured logs (`logs`).

The roles record here (executor, worker, scheduler, API); the engine never does: it stays pure.
"""
