"""Kestra's OpenSearch tasks (`io.kestra.plugin.opensearch.*`): Search, Scroll, Get, Put, Request, Load, Bulk (the
Elasticsearch family's code, legato.plugins.elasticsearch) and Ppl. Registered through the `legato.plugins` entry
point `opensearch`."""
