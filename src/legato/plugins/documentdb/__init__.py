"""Kestra's DocumentDB plugin (io.kestra.plugin.documentdb): `Insert`, `Read`, `Update` and `Delete` documents through
a DocumentDB HTTP data API (`POST {host}/data/v1/action/{insertOne|insertMany|find|aggregate|updateOne|updateMany|
deleteOne|deleteMany}` with basic authentication, the request and answer shapes of MongoDB's Data API), over httpx."""
