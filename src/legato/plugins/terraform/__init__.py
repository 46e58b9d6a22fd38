"""Kestra's Terraform plugin (io.kestra.plugin.terraform): TerraformCLI runs terraform (or OpenTofu's tofu)
commands as a script task. Registered through the `legato.plugins` entry point."""
