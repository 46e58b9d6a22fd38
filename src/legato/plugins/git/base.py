"""What every Git task shares (Kestra's AbstractGitTask and AbstractCloningTask): the remote, its credentials,
HTTP and TLS settings, and the directory the repository is worked on in."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import Field

from legato.model.task import Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.git.command import Git, Remote, scratch_directory
from legato.plugins.runnable import (
    Expression,
    RunnableTask,
    render_as,
    render_optional,
    render_optional_text,
    render_text,
)
from legato.plugins.scripts.execution import work_root


class KestraAuth(Frozen):
    """How a task reaches the Kestra API (Kestra's Git tasks call it to read and write flows). Legato's Git tasks
    use the server's own flow store instead, so these are accepted for compatibility and not needed."""

    username: str | None = Field(
        default=None, description="Username for HTTP Basic authentication (not used by Legato)."
    )
    password: str | None = Field(
        default=None, description="Password for HTTP Basic authentication (not used by Legato)."
    )
    auto: bool | Expression = Field(
        default=True, description="Take the credentials from the server's configuration (not used by Legato)."
    )


class GitTask(RunnableTask):
    """Properties of every Git task."""

    url: str = Field(
        description="The repository: an HTTP(S) or SSH address (https://host/org/repo.git, ssh://git@host/repo.git, git@host:org/repo.git)."
    )
    username: str | None = Field(
        default=None,
        description="Username for HTTP basic authentication (with a personal access token, any name the host accepts).",
    )
    password: str | None = Field(
        default=None,
        description="Password or personal access token for HTTP basic authentication; use secret().",
    )
    privateKey: str | None = Field(
        default=None, description="A PEM private key for SSH, registered on the Git server; use secret()."
    )
    passphrase: str | None = Field(default=None, description="The passphrase of `privateKey`.")
    trustedCaPemPath: str | None = Field(
        default=None,
        description="A PEM file of extra certificate authorities to trust (git's http.sslCAInfo).",
    )
    noProxy: bool | Expression = Field(
        default=False, description="Connect directly, ignoring the worker's HTTP proxy settings."
    )
    connectTimeout: int | Expression = Field(
        default=10_000,
        description="HTTP connect timeout in milliseconds (the task's `timeout` bounds the whole operation).",
    )
    readTimeout: int | Expression = Field(
        default=60_000, description="Abort a transfer that receives nothing for this many milliseconds."
    )
    gitConfig: dict[str, Any] | Expression | None = Field(
        default=None, description="Extra git configuration, e.g. {core.autocrlf: input}."
    )
    cloneSubmodules: bool | Expression = Field(
        default=False, description="Also clone the repository's submodules."
    )
    kestraUrl: str | None = Field(
        default=None,
        description="The Kestra API address (Kestra's tasks call their API; Legato's use the server's store, so this is not needed).",
    )
    auth: KestraAuth | None = Field(
        default=None, description="Kestra API credentials (not needed by Legato)."
    )

    def remote(self, ctx: RunContext) -> Remote:
        """The rendered remote, its addresses checked."""
        config = render_optional(ctx, self.gitConfig, dict[str, Any], "gitConfig") or {}
        remote = Remote(
            url=render_text(ctx, self.url).strip(),
            username=render_optional_text(ctx, self.username),
            password=render_optional_text(ctx, self.password),
            private_key=render_optional_text(ctx, self.privateKey),
            passphrase=render_optional_text(ctx, self.passphrase),
            trusted_ca_pem_path=render_optional_text(ctx, self.trustedCaPemPath),
            no_proxy=render_as(ctx, self.noProxy, bool, "noProxy"),
            read_timeout_ms=render_as(ctx, self.readTimeout, int, "readTimeout"),
            config=checked_config(config),
        )
        return remote.check_address()

    def git(self, ctx: RunContext) -> Git:
        return Git(self.remote(ctx))

    def submodules(self, ctx: RunContext) -> bool:
        return bool(render_as(ctx, self.cloneSubmodules, bool, "cloneSubmodules"))


# The `gitConfig` keys a flow may set. git runs programs named in many others (core.fsmonitor, filters, hooks,
# credential helpers, pagers, ssh and proxy commands) or sends its requests elsewhere (http.proxy, url.*.insteadOf,
# http.curloptResolve): on the worker, outside any sandbox. Kestra's JGit honours none of those either.
SAFE_CONFIG = frozenset({
    "core.autocrlf", "core.eol", "core.safecrlf", "core.filemode", "core.ignorecase", "core.symlinks",
    "core.longpaths", "core.precomposeunicode", "core.quotepath", "core.whitespace", "core.compression",
    "core.bigfilethreshold", "core.checkroundtripencoding",
    "user.name", "user.email", "author.name", "author.email", "committer.name", "committer.email",
    "init.defaultbranch", "commit.gpgsign", "tag.gpgsign", "push.default", "push.followtags", "pull.rebase",
    "pull.ff", "merge.ff", "fetch.prune", "fetch.prunetags", "gc.auto", "submodule.recurse",
    "i18n.commitencoding", "i18n.logoutputencoding", "diff.renames", "merge.renames", "merge.renamelimit",
    "pack.threads", "pack.window", "pack.depth", "http.postbuffer", "http.sslverify", "http.version",
    "http.maxrequests", "http.lowspeedlimit", "http.lowspeedtime", "http.extraheader",
})


def checked_config(config: dict[Any, Any]) -> dict[str, str]:
    """`gitConfig` as git's key/value strings, every key one a flow may set; TaskFailed naming any other."""
    refused = sorted(str(k) for k in config if str(k).lower() not in SAFE_CONFIG and not str(k).lower().startswith("advice."))
    if refused:
        raise TaskFailed(f"property 'gitConfig': {', '.join(refused)} may not be set by a flow (git would run a "
                         "program or connect elsewhere on the worker); allowed: core.autocrlf, core.eol, user.name, "
                         "user.email, http.sslVerify, http.postBuffer and similar settings (see docs/plugins.md)")
    return {str(k): ("true" if v else "false") if isinstance(v, bool) else str(v) for k, v in config.items()}


@contextlib.contextmanager
def task_directory(ctx: RunContext) -> Iterator[Path]:
    """The WorkingDirectory's shared directory, or a scratch one removed when the task ends."""
    if ctx.working_dir is not None:
        yield ctx.working_dir
        return
    with scratch_directory(work_root()) as path:
        yield path


def inside(root: Path, relative: str | None, prop: str) -> Path:
    """`root / relative`, refusing a path that leaves `root`."""
    if not relative:
        return root
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise TaskFailed(f"property '{prop}': {relative!r} leaves the working directory")
    return path
