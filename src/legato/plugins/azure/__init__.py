"""Kestra's Azure plugin (`io.kestra.plugin.azure.*`): the Blob Storage tasks and trigger, through
azure-storage-blob (the `azure` extra: pip install 'legato[azure]'). Registered through the `legato.plugins`
entry point `azure`."""
