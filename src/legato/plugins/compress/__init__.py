"""Kestra's compress plugin (io.kestra.plugin.compress): archives and compressed files. Registered through the
`legato.plugins` entry point."""
