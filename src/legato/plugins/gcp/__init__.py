"""Kestra's GCP plugin (`io.kestra.plugin.gcp.*`): the Cloud Storage tasks and trigger (google-cloud-storage),
BigQuery (google-cloud-bigquery), both in the `gcp` extra: pip install 'legato[gcp]'; `auth.OauthAccessToken`
(google-auth) and `cli.GCloudCLI` (the Google Cloud CLI). Registered through the `legato.plugins` entry point `gcp`."""
