"""Odoo (Kestra's `io.kestra.plugin.odoo.Query`) over Odoo's external XML-RPC API, marshalled by the standard
library and sent with httpx through the SSRF guard. Registered through the `legato.plugins` entry point `odoo`;
needs no extra package."""

from legato.plugins.odoo import query

__all__ = ["query"]
