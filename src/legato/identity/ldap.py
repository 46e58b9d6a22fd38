"""LDAP sign-in: the user's entry is found (bound as a search account, or anonymously), the password checked by
binding as that entry, and the groups the directory lists the user in are read, so that they can be mapped onto
Legato's groups."""

from __future__ import annotations

from dataclasses import dataclass

import ldap3
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.conv import escape_filter_chars

from legato.identity.records import ExternalIdentity


class LdapError(Exception):
    """The directory could not be asked (down, misconfigured); not a wrong password."""


@dataclass(frozen=True)
class LdapConfig:
    """Where the directory is and how users and groups are found in it. In the filters, `{username}` is the name
    typed at sign-in and `{dn}` the user's entry, both escaped."""

    url: str
    user_base: str
    user_filter: str = "(uid={username})"
    bind_dn: str | None = None
    bind_password: str | None = None
    start_tls: bool = False
    group_base: str | None = None
    group_filter: str = "(|(member={dn})(uniqueMember={dn})(memberUid={username}))"
    group_name_attribute: str = "cn"
    display_name_attribute: str = "cn"
    email_attribute: str = "mail"
    create_users: bool = True
    timeout_seconds: int = 5


class LdapDirectory:
    def __init__(self, config: LdapConfig) -> None:
        self.config = config
        self._server = ldap3.Server(config.url, connect_timeout=config.timeout_seconds, get_info=ldap3.NONE)

    def authenticate(self, username: str, password: str) -> ExternalIdentity | None:
        """Who signed in, or None when the directory has no such user or the password is wrong. LdapError when
        the directory cannot be asked."""
        if not username or not password:  # an empty password is an anonymous bind: it would always succeed
            return None
        c = self.config
        try:
            with self._connection(c.bind_dn, c.bind_password) as search:
                search.search(c.user_base, c.user_filter.format(username=escape_filter_chars(username)),
                              attributes=[c.display_name_attribute, c.email_attribute], size_limit=2)
                if len(search.entries) != 1:
                    return None
                entry = search.entries[0]
                dn = entry.entry_dn
                try:
                    with self._connection(dn, password):
                        pass
                except ldap_errors.LDAPInvalidCredentialsResult:
                    return None
                groups = self._groups(search, username, dn) if c.group_base else None
            return ExternalIdentity(username, _first(entry, c.display_name_attribute) or username,
                            _first(entry, c.email_attribute), groups)
        except ldap_errors.LDAPException as exc:
            raise LdapError(f"the LDAP directory at {c.url} could not be asked: {exc}") from None

    def _groups(self, connection: ldap3.Connection, username: str, dn: str) -> tuple[str, ...]:
        c = self.config
        assert c.group_base is not None
        found = c.group_filter.format(username=escape_filter_chars(username), dn=escape_filter_chars(dn))
        connection.search(c.group_base, found, attributes=[c.group_name_attribute])
        return tuple(sorted(name for e in connection.entries if (name := _first(e, c.group_name_attribute))))

    def _connection(self, user: str | None, password: str | None) -> ldap3.Connection:
        connection = ldap3.Connection(self._server, user=user, password=password, auto_bind=ldap3.AUTO_BIND_NONE,
                                      receive_timeout=self.config.timeout_seconds, raise_exceptions=True,
                                      read_only=True)
        connection.open()
        if self.config.start_tls:
            connection.start_tls()
        connection.bind()
        return connection


def _first(entry: ldap3.Entry, attribute: str) -> str | None:
    if attribute not in entry.entry_attributes:
        return None
    values = entry[attribute].values
    return str(values[0]) if values else None
