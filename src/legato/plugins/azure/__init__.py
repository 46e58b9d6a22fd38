"""Kestra's Azure plugin (`io.kestra.plugin.azure.*`): the Blob Storage tasks and trigger, through
azure-storage-blob (the `azure` extra: pip install 'legato[azure]'), and `cli.AzCLI` (the Azure CLI on the worker,
or its image). Registered through the `legato.plugins` entry point `azure`."""
