"""Fivetran (Kestra's `io.kestra.plugin.fivetran.*`) over Fivetran's REST API with httpx: `connectors.Sync`
starts a connector's sync and waits for it, `connectors.Status` reports (and can wait for) connectors'
freshness. Registered through the `legato.plugins` entry point `fivetran`; needs no extra package."""
