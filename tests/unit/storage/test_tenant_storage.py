"""Internal storage per tenant: the same kestra:/// URIs in every tenant, a tenant's files under `_tenants/<id>/`
of the backend, `main` in the layout it always had and unable to reach `_tenants/`."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato.storage import LocalStorage, StorageError
from legato.storage.tenants import TenantStorage, of_tenant

URI = "kestra:///company/team/_files/data.txt"


def test_each_tenant_reads_and_lists_its_own_files(tmp_path: Path) -> None:
    backend = LocalStorage(tmp_path)
    main, acme = of_tenant(backend, "main"), of_tenant(backend, "acme")
    assert main.put(URI, b"main") == URI
    assert acme.put(URI, b"acme") == URI
    assert (tmp_path / "company/team/_files/data.txt").read_bytes() == b"main"
    assert (tmp_path / "_tenants/acme/company/team/_files/data.txt").read_bytes() == b"acme"
    assert (main.get(URI), acme.get(URI)) == (b"main", b"acme")
    assert main.list("kestra:///") == [URI] and acme.list("kestra:///") == [URI]
    assert of_tenant(backend, "other").exists(URI) is False
    assert acme.delete_prefix("kestra:///company") == 1
    assert main.get(URI) == b"main"


def test_no_tenant_reaches_the_tenants_folder(tmp_path: Path) -> None:
    backend = LocalStorage(tmp_path)
    of_tenant(backend, "acme").put(URI, b"acme")
    for tenant in ("main", "other"):
        view = of_tenant(backend, tenant)
        with pytest.raises(StorageError, match="_tenants"):
            view.get(f"kestra:///_tenants/acme{URI.removeprefix('kestra://')}")
        with pytest.raises(StorageError):
            view.list("kestra:///_tenants")


def test_a_view_of_a_view_is_the_backend_seen_by_the_new_tenant(tmp_path: Path) -> None:
    backend = LocalStorage(tmp_path)
    twice = of_tenant(of_tenant(backend, "acme"), "beta")
    assert isinstance(twice, TenantStorage) and twice.inner is backend
    assert twice.path_of is not None
    assert twice.path_of(URI) == tmp_path / "_tenants/beta/company/team/_files/data.txt"
