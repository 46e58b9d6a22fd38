"""Kestra's Kubernetes plugin (io.kestra.plugin.kubernetes): PodCreate and kubectl Apply, Get, Delete and
Patch, through the Kubernetes API with lightkube (`pip install 'legato[kubernetes]'`). Registered through the
`legato.plugins` entry point."""
