"""Airbyte (Kestra's `io.kestra.plugin.airbyte.*`) with httpx: `connections.Sync`/`CheckStatus` against a
self-hosted Airbyte's configuration API (`/api/v1/connections/sync/`, `/api/v1/jobs/get/`), and
`cloud.jobs.Sync`/`Reset` against the Airbyte API (`/v1/jobs`). Registered through the `legato.plugins`
entry point `airbyte`; needs no extra package."""
