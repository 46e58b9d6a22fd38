"""Apache Spark (Kestra's `io.kestra.plugin.spark.*`): `SparkCLI` runs Spark command lines, `PythonSubmit`,
`JarSubmit` and `RSubmit` build one `spark-submit` command from typed properties. All are script tasks (runners,
env, inputFiles, outputFiles); under the process and sandbox runners Spark comes from `pip install 'legato[spark]'`
(pyspark, which ships spark-submit; Java must be installed), in a container from the image (apache/spark).
Registered through the `legato.plugins` entry point `spark`."""
