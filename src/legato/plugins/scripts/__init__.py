"""Script tasks in many languages (Kestra's `io.kestra.plugin.scripts.*`): each has a `Script` (inline source
written to a file) and a `Commands` (command lines through an interpreter) form, run by a runner from
`legato.runners`, passing values back with Kestra's `::{...}::` stdout protocol and files through
internal storage. Kestra's first script tasks (`io.kestra.core.tasks.scripts.Bash`, `Python`) are in `legacy`;
the command-line tasks of SQLMesh and Modal in `clis`, CloudQuery's in `cloudquery`."""
