"""Kestra's Jenkins plugin (io.kestra.plugin.jenkins): JobBuild and JobInfo, over Jenkins' remote access API
(httpx). Registered through the `legato.plugins` entry point."""
