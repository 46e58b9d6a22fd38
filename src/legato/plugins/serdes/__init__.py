"""Kestra's serdes plugin (io.kestra.plugin.serdes): conversions between Ion, the format of rows in internal
storage, and CSV, JSON/JSONL, YAML, XML (built in), Avro, Parquet and Excel (the `serdes` extra: fastavro,
pyarrow, openpyxl, imported only when such a task runs). Registered through the `legato.plugins` entry point."""
