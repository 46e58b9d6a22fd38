"""The `taskRunner` property of script tasks, as written in YAML: Legato's short names and Kestra's type
names. Each spec says which runner to build; `legato.runners.select` builds it.

Kestra Enterprise's cloud batch runners (AWS Batch, Azure Batch, Google Batch and Cloud Run) are not accepted:
Legato has no runner that submits a command as a cloud batch job, and running it elsewhere instead would not be
what the flow says. A flow naming one fails validation with an error that says so and what to use instead."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import PydanticCustomError

from legato.model.durations import Duration
from legato.model.task import Frozen

PROCESS_TYPES = ("process", "io.kestra.plugin.core.runner.Process",
                 "io.kestra.core.models.tasks.runners.types.ProcessTaskRunner")
SANDBOX_TYPES = ("sandbox", "io.legato.runner.Sandbox")
WARM_PYTHON_TYPES = ("python-warm", "io.legato.runner.PythonWarm")
KUBERNETES_TYPES = ("kubernetes", "io.kestra.plugin.ee.kubernetes.runner.Kubernetes",
                    "io.kestra.plugin.kubernetes.runner.Kubernetes")
DOCKER_TYPES = ("docker", "io.kestra.plugin.scripts.runner.docker.Docker",
                "io.kestra.plugin.scripts.runner.docker.DockerTaskRunner")
# Kestra's runners that hand the command to a cloud batch service (the Enterprise names and the older ones)
CLOUD_BATCH_TYPES = {
    "io.kestra.plugin.ee.aws.runner.Batch": "AWS Batch", "io.kestra.plugin.aws.runner.AwsBatchTaskRunner": "AWS Batch",
    "io.kestra.plugin.ee.azure.runner.Batch": "Azure Batch", "io.kestra.plugin.azure.runner.AzureBatchTaskRunner": "Azure Batch",
    "io.kestra.plugin.ee.gcp.runner.Batch": "Google Cloud Batch", "io.kestra.plugin.gcp.runner.GcpBatchTaskRunner": "Google Cloud Batch",
    "io.kestra.plugin.ee.gcp.runner.CloudRun": "Google Cloud Run", "io.kestra.plugin.gcp.runner.GcpCloudRunTaskRunner": "Google Cloud Run",
}


class ProcessRunnerSpec(Frozen):
    """Run as a child process of the worker (Legato's default)."""

    type: Literal[PROCESS_TYPES] = Field(description="process, or Kestra's io.kestra.plugin.core.runner.Process.")  # type: ignore[valid-type]
    version: str | None = Field(default=None, description="Kestra compatibility: accepted and ignored.")


class SandboxRunnerSpec(Frozen):
    """Run under bubblewrap: read-only system, private /tmp, writable working dir only."""

    type: Literal[SANDBOX_TYPES] = Field(description="sandbox.")  # type: ignore[valid-type]
    network: bool = Field(default=False, description="Give the command network access (off by default).")


class WarmPythonRunnerSpec(Frozen):
    """Run Python scripts in a pre-started interpreter that forks per task (a fork instead of an interpreter
    start); other commands run as with `process`. Opt in per task, or per flow with pluginDefaults."""

    type: Literal[WARM_PYTHON_TYPES] = Field(description="python-warm.")  # type: ignore[valid-type]


class CpuSpec(Frozen):
    cpus: float | str = Field(description="How many CPUs the container may use (1.5 = one and a half).")


class MemorySpec(Frozen):
    memory: str | None = Field(default=None, description="Memory limit, e.g. 512Mb or 2g.")
    memorySwap: str | None = Field(default=None, description="Memory plus swap limit.")
    memorySwappiness: int | None = Field(default=None, ge=0, le=100, description="How readily the kernel swaps the container's pages out (0-100).")
    memoryReservation: str | None = Field(default=None, description="Soft limit, enforced when the host runs short of memory.")
    kernelMemory: str | None = Field(default=None, description="Kestra compatibility: accepted, not applied (deprecated by Docker).")
    oomKillDisable: bool | None = Field(default=None, description="Do not kill the container's processes when they exceed the memory limit.")


class CredentialsSpec(Frozen):
    registry: str | None = Field(default=None, description="Registry host of the image.")
    username: str | None = Field(default=None, description="Registry user name.")
    password: str | None = Field(default=None, description="Registry password.")
    registryToken: str | None = Field(default=None, description="Registry token.")
    identityToken: str | None = Field(default=None, description="Identity token.")
    auth: str | None = Field(default=None, description="Base64 user:password, as in a Docker config file.")


class DockerRunnerSpec(Frozen):
    """Run in a container of a Docker-compatible engine (Kestra's default runner)."""

    type: Literal[DOCKER_TYPES] = Field(description="docker, or Kestra's io.kestra.plugin.scripts.runner.docker.Docker.")  # type: ignore[valid-type]
    host: str | None = Field(default=None, description="Engine address (unix:///var/run/docker.sock, tcp://host:2375); default DOCKER_HOST.")
    pullPolicy: Literal["ALWAYS", "IF_NOT_PRESENT", "NEVER"] = Field(default="IF_NOT_PRESENT", description="When to pull the image: IF_NOT_PRESENT (Legato's default: no registry round trip when the image is there), ALWAYS (Kestra's default; when the registry cannot be reached, an image already on the engine runs, with a warning in the log), NEVER (the image must be on the engine). A missing image fails the task, naming it.")
    user: str | None = Field(default=None, description="User (name or uid[:gid]) the command runs as in the container.")
    entryPoint: list[str] | None = Field(default=None, description="The container's entry point; by default, as in Kestra, [\"\"]: the image's entry point is replaced so that the commands run as written.")
    networkMode: str | None = Field(default=None, description="Docker network mode (bridge, host, none, or a network name).")
    volumes: list[str] = Field(default_factory=list, description="Bind mounts, host:container[:ro]. Mounted only where an administrator enables them (LEGATO_DOCKER_VOLUMES_ENABLED=true, Kestra's volume-enabled); otherwise ignored with a warning, as in Kestra. Legato's data dir is never mounted.")
    portBindings: list[str] = Field(default_factory=list, description="Published ports, as docker run -p: [ip:]hostPort:containerPort[/protocol].")
    cpu: CpuSpec | None = Field(default=None, description="CPU limit.")
    memory: MemorySpec | None = Field(default=None, description="Memory limits.")
    shmSize: str | None = Field(default=None, description="Size of /dev/shm, e.g. 256m.")
    extraHosts: list[str] = Field(default_factory=list, description="Extra host:ip entries for /etc/hosts.")
    privileged: bool = Field(default=False, description="Run the container privileged: allowed only where an administrator enables it (LEGATO_DOCKER_PRIVILEGED_ENABLED=true).")
    delete: bool = Field(default=True, description="Remove the container when it ends.")
    credentials: CredentialsSpec | None = Field(default=None, description="Private registry credentials.")
    config: str | dict[str, Any] | None = Field(default=None, description="Kestra compatibility: a Docker config file; only `credentials` is applied.")
    deviceRequests: list[dict[str, Any]] | None = Field(default=None, description="Kestra compatibility: accepted, not applied.")
    fileHandlingStrategy: Literal["MOUNT", "VOLUME"] | None = Field(default=None, description="MOUNT: the working directory is bind-mounted at its own path; VOLUME: files are copied in before the run and back after it, at /legato/work (works with a remote engine). Default: MOUNT when the engine is on the worker's machine and the worker runs as root, else VOLUME.")
    killGracePeriod: str | None = Field(default=None, description="Kestra compatibility: accepted, not applied.")
    resume: bool | None = Field(default=None, description="Kestra compatibility: accepted, not applied.")
    wait: bool | None = Field(default=None, description="Kestra compatibility: accepted, not applied.")
    version: str | None = Field(default=None, description="Kestra compatibility: accepted and ignored.")



class KubeResources(Frozen):
    cpu: str | int | float | None = Field(default=None, description="CPU, e.g. 500m or 2.")
    memory: str | None = Field(default=None, description="Memory, e.g. 512Mi.")


class KubeResourcesSpec(Frozen):
    request: KubeResources | None = Field(default=None, description="What the pod is guaranteed.")
    limit: KubeResources | None = Field(default=None, description="What the pod may use at most.")


class KubernetesRunnerSpec(Frozen):
    """Run in a pod of a Kubernetes cluster (configuration: `config`, else in-cluster, else kubeconfig)."""

    type: Literal[KUBERNETES_TYPES] = Field(description="kubernetes, or Kestra's io.kestra.plugin.ee.kubernetes.runner.Kubernetes.")  # type: ignore[valid-type]
    namespace: str | None = Field(default=None, description="Namespace of the pod (default: the configuration's).")
    labels: dict[str, str] = Field(default_factory=dict, description="Labels added to the pod.")
    pullPolicy: Literal["Always", "IfNotPresent", "Never", "ALWAYS", "IF_NOT_PRESENT", "NEVER"] = Field(default="IfNotPresent", description="When the node pulls the image.")
    serviceAccountName: str | None = Field(default=None, description="Service account the pod runs as.")
    nodeSelector: dict[str, str] = Field(default_factory=dict, description="Node labels the pod must land on.")
    resources: KubeResourcesSpec | None = Field(default=None, description="CPU and memory requests and limits.")
    imagePullSecrets: list[str] = Field(default_factory=list, description="Secrets of private registries.")
    config: dict[str, Any] | None = Field(default=None, description="Cluster access (masterUrl, oauthToken, caCertData, clientCertData, clientKeyData, username, password, namespace, trustCerts); default: in-cluster, else KUBECONFIG / ~/.kube/config.")
    delete: bool = Field(default=True, description="Delete the pod and its Secret when the command ends.")
    waitUntilRunning: Duration = Field(default=timedelta(minutes=10), description="How long the pod may stay pending.")
    waitForLogInterval: Duration | None = Field(default=None, description="Kestra compatibility: accepted; logs are streamed.")
    resume: bool | None = Field(default=None, description="Kestra compatibility: accepted, not applied.")
    fileSidecar: dict[str, Any] | None = Field(default=None, description="Kestra compatibility: files go through an init container and the log stream.")
    version: str | None = Field(default=None, description="Kestra compatibility: accepted and ignored.")


def _no_cloud_batch(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A cloud batch runner's type is an error naming what is missing, not pydantic's list of the expected tags."""
    name = value.get("type") if isinstance(value, Mapping) else None
    if isinstance(name, str) and name in CLOUD_BATCH_TYPES:
        service = CLOUD_BATCH_TYPES[name]
        raise PydanticCustomError(
            "task_runner_unavailable",
            "task runner '{name}' (Kestra Enterprise's {service} runner) is not available: Legato has no runner that "
            "hands the command to {service}; run it in a container with "
            "`taskRunner: {type: io.kestra.plugin.scripts.runner.docker.Docker}`, in a pod with "
            "`io.kestra.plugin.ee.kubernetes.runner.Kubernetes`, or as a process",
            {"name": name, "service": service})
    return handler(value)


RunnerSpec = Annotated[ProcessRunnerSpec | SandboxRunnerSpec | WarmPythonRunnerSpec | DockerRunnerSpec
                       | KubernetesRunnerSpec, Field(discriminator="type"), WrapValidator(_no_cloud_batch)]
