"""Kestra's MongoDB tasks (`io.kestra.plugin.mongodb.*`): Find, InsertOne, Update, Delete, Aggregate, Load and
Bulk, and the polling Trigger, over pymongo's asyncio client (the `mongodb` extra). Registered through the
`legato.plugins` entry point `mongodb`."""
