"""The infrastructure families (fs, ansible, terraform, kubernetes, jenkins) are installed through their entry
points, every type under Kestra's name (and former names), documented, with examples that validate."""

from __future__ import annotations

import pytest
import yaml

from legato.plugins import families, registry, trigger_registry
from legato.plugins.runnable import RunnableTask
from tests.unit.plugins.documented import assert_documented

PROTOCOLS = ("sftp", "ftp", "ftps")
OPERATIONS = ("Upload", "Uploads", "Download", "Downloads", "List", "Delete", "Move")
TASK_NAMES = {
    "io.kestra.plugin.fs.ssh.Command": (),
    "io.kestra.plugin.fs.tcp.Send": (),
    **{f"io.kestra.plugin.fs.{p}.{o}": () for p in PROTOCOLS for o in OPERATIONS},
    "io.kestra.plugin.ansible.cli.AnsibleCLI": (),
    "io.kestra.plugin.terraform.cli.TerraformCLI": (),
    "io.kestra.plugin.kubernetes.core.PodCreate": ("io.kestra.plugin.kubernetes.PodCreate",),
    "io.kestra.plugin.kubernetes.kubectl.Apply": (),
    "io.kestra.plugin.kubernetes.kubectl.Get": (),
    "io.kestra.plugin.kubernetes.kubectl.Delete": (),
    "io.kestra.plugin.kubernetes.kubectl.Patch": (),
    "io.kestra.plugin.kubernetes.kubectl.Restart": (),
    "io.kestra.plugin.jenkins.JobBuild": (),
    "io.kestra.plugin.jenkins.JobInfo": (),
}


@pytest.mark.parametrize("name", sorted(TASK_NAMES))
def test_each_task_is_registered_documented_and_its_examples_validate(name: str) -> None:
    tasks = registry()
    cls = tasks.lookup(name)
    assert cls is not None and issubclass(cls, RunnableTask) and name == cls.TYPE
    assert TASK_NAMES[name] == cls.ALIASES and all(tasks.lookup(alias) is cls for alias in cls.ALIASES)
    assert_documented(cls)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_each_remote_file_trigger_is_registered_and_its_example_validates(protocol: str) -> None:
    cls = trigger_registry().lookup(f"io.kestra.plugin.fs.{protocol}.Trigger")
    assert cls is not None and cls.__doc__ and cls.EXAMPLES
    for example in cls.EXAMPLES:
        cls.model_validate(yaml.safe_load(example)["triggers"][0])
    with pytest.raises(ValueError, match="action"):
        cls.model_validate({"id": "t", "type": cls.TYPE, "host": "h", "from": "/in"})  # action is required, as Kestra


def test_the_families_are_listed_with_their_types() -> None:
    found = {f.name: f for f in families.families()}
    assert found["fs"].types.count("io.kestra.plugin.fs.ssh.Command") == 1 and len(found["fs"].types) == 26
    assert found["ansible"].types == ["io.kestra.plugin.ansible.cli.AnsibleCLI"]
    assert found["terraform"].types == ["io.kestra.plugin.terraform.cli.TerraformCLI"]
    assert len(found["kubernetes"].types) == 6 and len(found["jenkins"].types) == 2
    assert not any(f.missing for f in found.values() if f.name in ("fs", "kubernetes"))  # the extras are installed here
