"""Kestra's GCP plugin (`io.kestra.plugin.gcp.*`): the Cloud Storage tasks and trigger (google-cloud-storage) and
BigQuery (google-cloud-bigquery), both in the `gcp` extra: pip install 'legato[gcp]'. Registered through the
`legato.plugins` entry point `gcp`."""
