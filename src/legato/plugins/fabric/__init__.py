"""Kestra's Microsoft Fabric plugin (io.kestra.plugin.microsoft.fabric): run pipelines, notebooks and Spark job
definitions through Fabric's job scheduler API (`data.engineering.*`), move files in and out of a Lakehouse's
OneLake `Files/` folder (`onelake.*`, the ADLS Gen2 API) and query a Warehouse (`warehouse.Query`)."""
