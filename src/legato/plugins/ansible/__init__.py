"""Kestra's Ansible plugin (io.kestra.plugin.ansible): AnsibleCLI runs ansible-playbook and friends as a script
task. Under the process runner ansible-core comes from `pip install 'legato[ansible]'`; in a container, from the
image. Registered through the `legato.plugins` entry point."""
