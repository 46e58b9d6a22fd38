"""Databricks (Kestra's `io.kestra.plugin.databricks.*`) with databricks-sdk: clusters (CreateCluster,
DeleteCluster), jobs (CreateJob, SubmitRun) and SQL on a SQL warehouse (sql.Query, through the Statement
Execution API). Registered through the `legato.plugins` entry point `databricks`; the SDK comes with
`pip install 'legato[databricks]'`."""
