"""Kestra's file-system plugin (io.kestra.plugin.fs): commands over SSH, and files over SFTP, FTP and FTPS
(tasks and polling triggers). SSH and SFTP need paramiko: `pip install 'legato[ssh]'`. Registered through
the `legato.plugins` entry point."""

from legato.plugins.fs import ssh, tasks, trigger

__all__ = ["ssh", "tasks", "trigger"]
