"""Apify (Kestra's `io.kestra.plugin.apify.*`) over Apify's API v2 with httpx: `actor.Run` starts an actor run and
`dataset.Get` reads a dataset's items. Registered through the `legato.plugins` entry point `apify`; needs no extra
package."""

from legato.plugins.apify import tasks

__all__ = ["tasks"]
