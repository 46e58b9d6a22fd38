"""Process plumbing and (with compose) the composition root: what runs in a server process."""
