"""A real OpenLDAP server (Debian's `slapd`) for the LDAP sign-in tests: a private instance on 127.0.0.1 and a
free port, its configuration and database in a temporary directory, loaded with a small directory:

- `dc=example,dc=org`, searched as `cn=admin,dc=example,dc=org` / `admin-secret`;
- people under `ou=people`: carol (password `carol-password`, in groups `data-team` and `ldap-only`) and dave
  (password `dave-password`, in no group);
- groups (groupOfNames) under `ou=groups`."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.services import unavailable

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
BASE = "dc=example,dc=org"
ADMIN = (f"cn=admin,{BASE}", "admin-secret")
PEOPLE = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"

_CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {root}/slapd.pid
database mdb
maxsize 10485760
suffix "{base}"
rootdn "{admin}"
rootpw {password}
directory {root}/db
access to attrs=userPassword by anonymous auth by * none
access to * by * read
"""

_PERSON = """\
dn: uid={uid},{people}
objectClass: inetOrgPerson
uid: {uid}
cn: {cn}
sn: {sn}
mail: {uid}@example.org
userPassword: {uid}-password

"""

_GROUP = """\
dn: cn={cn},{groups}
objectClass: groupOfNames
cn: {cn}
{members}

"""


def _directory() -> str:
    text = (f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n"
            f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n"
            f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n\n")
    text += _PERSON.format(uid="carol", cn="Carol Ops", sn="Ops", people=PEOPLE)
    text += _PERSON.format(uid="dave", cn="Dave", sn="Dave", people=PEOPLE)
    carol = f"member: uid=carol,{PEOPLE}"
    text += _GROUP.format(cn="data-team", groups=GROUPS, members=carol)
    text += _GROUP.format(cn="ldap-only", groups=GROUPS, members=carol)
    return text


@contextmanager
def ldap_server(root: Path) -> Iterator[str]:
    """slapd serving the directory above; its URL (ldap://127.0.0.1:PORT)."""
    if shutil.which(SLAPD) is None:
        unavailable("slapd", f"{SLAPD} is not installed (Debian package slapd; `make system-deps` installs it)")
    (root / "db").mkdir(parents=True)
    config = root / "slapd.conf"
    config.write_text(_CONFIG.format(root=root, base=BASE, admin=ADMIN[0], password=ADMIN[1]))
    (root / "directory.ldif").write_text(_directory())
    subprocess.run([SLAPADD, "-f", str(config), "-l", str(root / "directory.ldif")], check=True,
                   capture_output=True, timeout=60)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"ldap://127.0.0.1:{port}"
    log = open(root / "slapd.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen([SLAPD, "-f", str(config), "-h", f"{url}/", "-d", "0"], stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"slapd did not start:\n{(root / 'slapd.log').read_text()}") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
