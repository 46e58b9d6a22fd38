"""Kestra's Docker plugin (io.kestra.plugin.docker): Run, Build, Push, Tag, Compose, Stop and Rm, against the Docker
Engine API. Registered through the `legato.plugins` entry point; the docker task runner itself is in
legato.runners."""
