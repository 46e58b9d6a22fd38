"""Kestra's Elasticsearch tasks (`io.kestra.plugin.elasticsearch.*`): Search, Scroll, Get, Put, Request, Load, Bulk
and Esql, speaking the REST API over Legato's guarded HTTP client (no extra needed). The OpenSearch twin
(legato.plugins.opensearch) shares this code. Registered through the `legato.plugins` entry point
`elasticsearch`."""
