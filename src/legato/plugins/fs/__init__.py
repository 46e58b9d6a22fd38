"""Kestra's file-system plugin (io.kestra.plugin.fs): commands over SSH, and files over SFTP, FTP and FTPS
(tasks and polling triggers). SSH and SFTP need paramiko: `pip install 'legato[ssh]'`. Registered through
the `legato.plugins` entry point."""
