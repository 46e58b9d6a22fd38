"""Kestra's Git plugin (io.kestra.plugin.git): Clone, Push, and the flow and namespace-file sync tasks, over the
`git` command. Registered through the `legato.plugins` entry point."""
