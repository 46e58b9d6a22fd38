"""BigQuery (Kestra's `io.kestra.plugin.gcp.bigquery.*`): Query, Load, LoadFromGcs, ExtractToGcs,
CreateDataset, CreateTable and the polling Trigger, through the google-cloud-bigquery client."""
