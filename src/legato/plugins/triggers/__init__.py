"""Trigger types that read from outside systems: polling ones (HTTP, SQL query, local files, S3) in this
package, realtime ones in `realtime/`. The contract with the scheduler's runner is in `base`. Importing this
package registers every type."""

from legato.plugins.triggers import files, http, realtime, s3, sql

__all__ = ["files", "http", "realtime", "s3", "sql"]
