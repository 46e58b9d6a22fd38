"""dbt (Kestra's `io.kestra.plugin.dbt.*`): dbt Core from the command line (`cli.DbtCLI` and the older
one-command tasks) and dbt Cloud jobs over its REST API (`cloud.TriggerRun`, `cloud.CheckStatus`).
Registered through the `legato.plugins` entry point `dbt`; dbt Core comes with `pip install 'legato[dbt]'`."""
