"""Notion (Kestra's `io.kestra.plugin.notion.*`) over Notion's REST API with httpx: `page.Create` and
`page.Update`, their content written in Markdown and turned into Notion blocks. Registered through the
`legato.plugins` entry point `notion`; needs no extra package."""

from legato.plugins.notion import pages

__all__ = ["pages"]
