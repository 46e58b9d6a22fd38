"""Kestra's Docker plugin is installed through the entry point, every task under Kestra's names, documented,
with examples that validate; the Dockerfile and reference parsing the tasks rely on."""

from __future__ import annotations

import pytest

from legato.plugins import registry
from legato.plugins.docker.images import base_images, split_reference
from legato.plugins.runnable import RunnableTask
from tests.unit.plugins.documented import assert_documented

NAMES = {
    "docker.Run": ("io.kestra.plugin.docker.cli.Run", "io.kestra.plugin.docker.Run"),
    "docker.Build": ("io.kestra.plugin.docker.cli.Build", "io.kestra.plugin.docker.Build"),
    "docker.Push": ("io.kestra.plugin.docker.cli.Push", "io.kestra.plugin.docker.Push"),
    "docker.Tag": ("io.kestra.plugin.docker.cli.Tag", "io.kestra.plugin.docker.Tag"),
    "docker.Compose": ("io.kestra.plugin.docker.cli.Compose", "io.kestra.plugin.docker.Compose"),
}


@pytest.mark.parametrize("canonical", sorted(NAMES))
def test_each_docker_task_is_registered_documented_and_its_examples_validate(canonical: str) -> None:
    tasks = registry()  # loads the `legato.plugins` entry points
    cls = tasks.lookup(canonical)
    assert cls is not None and issubclass(cls, RunnableTask) and NAMES[canonical] == cls.ALIASES
    assert all(tasks.lookup(alias) is cls for alias in NAMES[canonical])
    assert_documented(cls, name=canonical)


def test_a_typo_in_a_docker_task_is_an_error() -> None:
    cls = registry().lookup("io.kestra.plugin.docker.Run")
    assert cls is not None
    with pytest.raises(ValueError, match="containerImag"):
        cls.model_validate({"id": "x", "type": "io.kestra.plugin.docker.Run", "containerImag": "ubuntu"})


def test_base_images_of_a_dockerfile() -> None:
    dockerfile = """\
ARG BASE=python:3.11
FROM --platform=linux/amd64 python:3.11-slim AS build
RUN make
FROM ${BASE}
from build as again
FROM scratch
COPY --from=build /out /out
FROM ubuntu:22.04
"""
    assert base_images(dockerfile) == ["python:3.11-slim", "ubuntu:22.04"]


def test_image_references() -> None:
    assert split_reference("ubuntu") == ("ubuntu", "latest")
    assert split_reference("127.0.0.1:5000/team/app:1.2") == ("127.0.0.1:5000/team/app", "1.2")
    assert split_reference("127.0.0.1:5000/team/app") == ("127.0.0.1:5000/team/app", "latest")
