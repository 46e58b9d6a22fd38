"""Apache Airflow (Kestra's `io.kestra.plugin.airflow.*`) over Airflow's stable REST API with httpx:
`dags.TriggerDagRun` starts a DAG run and can wait for it. Registered through the `legato.plugins` entry point
`airflow`; needs no extra package."""

from legato.plugins.airflow import dags

__all__ = ["dags"]
