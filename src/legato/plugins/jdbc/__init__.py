"""Kestra's JDBC plugins (`io.kestra.plugin.jdbc.*`): Query, Queries, Batch and the polling Trigger for
PostgreSQL (with CopyIn and CopyOut), MySQL/MariaDB, SQLite and DuckDB, and the warehouses whose Python
driver is installed. Registered through the `legato.plugins` entry point `jdbc`.

Modules: `urls` parses JDBC URLs, `drivers` opens connections, `sqltext` splits statements and binds
parameters, `engine` runs statements by fetch type (shared with the triggers), `tasks`/`batch`/`copy`/
`trigger` are the kinds, and one module per database registers its types.
"""
