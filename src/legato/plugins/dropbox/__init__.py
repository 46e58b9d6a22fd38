"""Kestra's Dropbox plugin (io.kestra.plugin.dropbox.files): list, search, download, upload, move, copy, delete,
create folders and read metadata through Dropbox's HTTP API v2 (RPC endpoints on api.dropboxapi.com, content
endpoints on content.dropboxapi.com), over httpx with the flow's access token."""
