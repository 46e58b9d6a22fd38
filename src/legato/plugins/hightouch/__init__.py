"""Hightouch (Kestra's `io.kestra.plugin.hightouch.*`) over Hightouch's REST API with httpx: `Sync` triggers a
sync and waits for its run. Registered through the `legato.plugins` entry point `hightouch`; needs no extra
package."""

from legato.plugins.hightouch import sync

__all__ = ["sync"]
