"""legato.identity: who may do what. Users, service accounts, API tokens and their hashes, and the RBAC model
(resources x actions, roles, bindings on namespaces) with the one permission check. Below the store (which
persists its records) and above the pure floors; it reads no clock and opens no connection."""
