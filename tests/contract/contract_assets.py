"""Contract: assets (declared by task runs or saved by hand, per tenant), their usages recorded once per task run,
asset and direction, the lineage read from them, search with filters, deletion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from legato.store.ports import AssetFilter, AssetRecord, AssetUsage
from legato.store.sql import SqlStore

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def _asset(asset_id: str, *, type_: str | None = None, namespace: str | None = None, at: datetime = NOW,
           tenant: str = "main", **metadata: object) -> AssetRecord:
    return AssetRecord(asset_id, namespace, type_, None, None, dict(metadata), at, at, tenant)


def _use(asset_id: str, direction: str, run: str, at: datetime = NOW, tenant: str = "main") -> AssetUsage:
    return AssetUsage(asset_id, direction, f"ex-{run}", "company.data", "pipeline", f"task-{run}", run, at,
                      tenant)  # type: ignore[arg-type]


class AssetContract:
    def test_a_run_records_its_assets_once_and_lineage_follows(self, store: SqlStore) -> None:
        # run r1 reads raw and writes trips; runs r2 and r3 read trips and write one mart each
        store.record_asset_usages([_asset("raw")], [_asset("trips", type_="Table", namespace="company.data",
                                                           layer="staging")],
                                  [_use("raw", "IN", "r1"), _use("trips", "OUT", "r1")])
        later = NOW + timedelta(minutes=1)
        for run, mart in (("r2", "avg_a"), ("r3", "avg_b")):
            store.record_asset_usages([_asset("trips", at=later)], [_asset(mart, type_="Table", at=later)],
                                      [_use("trips", "IN", run, later), _use(mart, "OUT", run, later)])
        # the same result reported again (a replayed attempt) adds nothing
        store.record_asset_usages([_asset("trips", at=later)], [_asset("avg_a", type_="Table", at=later)],
                                  [_use("trips", "IN", "r2", later), _use("avg_a", "OUT", "r2", later)])
        trips = store.get_asset("trips")
        assert trips is not None and (trips.type, trips.namespace, trips.metadata, trips.updated) == (
            "Table", "company.data", {"layer": "staging"}, NOW)  # read later: left as it was
        raw = store.get_asset("raw")
        assert raw is not None and raw.type is None
        lineage = store.asset_lineage("trips")
        assert (lineage.upstream, lineage.downstream) == (["raw"], ["avg_a", "avg_b"])
        assert store.asset_lineage("avg_a").upstream == ["trips"]
        assert store.asset_lineage("raw").downstream == ["trips"]
        uses = store.asset_usages("trips")
        assert [(u.task_run_id, u.direction) for u in uses] == [("r2", "IN"), ("r3", "IN"), ("r1", "OUT")]
        assert (uses[-1].execution_id, uses[-1].flow_id, uses[-1].task_id) == ("ex-r1", "pipeline", "task-r1")
        assert store.asset_usages("trips", limit=1)[0].task_run_id == "r2"

    def test_usages_are_read_in_the_order_recorded_with_their_assets(self, store: SqlStore) -> None:
        store.record_asset_usages([_asset("raw")], [_asset("trips", type_="Table", namespace="company.data")],
                                  [_use("raw", "IN", "r1"), _use("trips", "OUT", "r1")])
        later = NOW + timedelta(hours=1)
        other = AssetUsage("trips", "IN", "ex-r2", "other.team", "report", "read", "r2", later)
        store.record_asset_usages([], [], [other])
        events = store.asset_usages_after(0, 10)
        assert [(e.usage.asset_id, e.usage.direction) for e in events] == [("raw", "IN"), ("trips", "OUT"),
                                                                           ("trips", "IN")]
        assert events[1].asset is not None and events[1].asset.type == "Table"
        assert [e.position for e in events] == sorted(e.position for e in events)
        after_first = store.asset_usages_after(events[0].position, 1)
        assert [e.position for e in after_first] == [events[1].position]
        assert [e.usage.task_run_id for e in store.asset_usages_after(0, 10, since=later)] == ["r2"]
        assert [e.usage.task_run_id for e in store.asset_usages_after(0, 10, namespace="company")] == ["r1", "r1"]
        assert store.asset_usages_after(0, 10, tenant="elsewhere") == []
        of_r1 = store.execution_asset_usages("ex-r1")
        assert [(e.usage.asset_id, e.usage.direction) for e in of_r1] == [("raw", "IN"), ("trips", "OUT")]
        assert of_r1[1].asset is not None and of_r1[1].asset.namespace == "company.data"
        assert store.execution_asset_usages("ex-r1", tenant="elsewhere") == []
        store.delete_asset("raw")
        assert [e.usage.asset_id for e in store.asset_usages_after(0, 10)] == ["trips", "trips"]

    def test_a_later_write_updates_type_and_metadata_and_keeps_the_rest(self, store: SqlStore) -> None:
        first = AssetRecord("vm", "infra", "VM", "Web VM", "the *web* host", {"ip": "10.0.0.1", "zone": "a"}, NOW, NOW)
        store.record_asset_usages([], [first], [_use("vm", "OUT", "r1")])
        later = NOW + timedelta(hours=1)
        store.record_asset_usages([], [_asset("vm", type_="Instance", at=later, ip="10.0.0.2")],
                                  [_use("vm", "OUT", "r2", later)])
        vm = store.get_asset("vm")
        assert vm is not None
        assert (vm.type, vm.metadata, vm.namespace, vm.display_name, vm.description, vm.created, vm.updated) == (
            "Instance", {"ip": "10.0.0.2"}, "infra", "Web VM", "the *web* host", NOW, later)
        assert store.asset_lineage("vm").upstream == []  # an asset is never its own neighbour

    def test_search_filters_pages_and_tenants(self, store: SqlStore) -> None:
        for asset_id, namespace, type_ in (("orders", "company.sales", "Table"), ("orders_daily", "company.sales.mart",
                                           "Table"), ("landing", "companyx", "File"), ("50%_off", None, "Table")):
            store.save_asset(_asset(asset_id, type_=type_, namespace=namespace))
        store.save_asset(AssetRecord("shop", "company", "Dataset", "Online ORDERS", None, {}, NOW, NOW))
        store.save_asset(_asset("orders", type_="Table", tenant="other"))

        def ids(**kw: object) -> list[str]:
            return [a.id for a in store.search_assets(AssetFilter(**kw))[0]]  # type: ignore[arg-type]

        assert ids() == ["50%_off", "landing", "orders", "orders_daily", "shop"]
        assert ids(namespace="company") == ["orders", "orders_daily", "shop"]  # children, never companyx
        assert ids(namespace="company.sales.mart") == ["orders_daily"]
        assert ids(type="Table") == ["50%_off", "orders", "orders_daily"]
        assert ids(q="ORDERS") == ["orders", "orders_daily", "shop"]  # the display name too
        assert ids(q="%") == ["50%_off"]  # a wildcard is a character
        assert ids(scopes=("company.sales", "companyx")) == ["landing", "orders", "orders_daily"]
        assert ids(scopes=()) == []  # bound nowhere: sees nothing
        page, total = store.search_assets(AssetFilter(limit=2, offset=1))
        assert ([a.id for a in page], total) == (["landing", "orders"], 5)
        assert [a.id for a in store.search_assets(AssetFilter(), tenant="other")[0]] == ["orders"]

    def test_saved_by_hand_replaced_and_deleted_with_usages(self, store: SqlStore) -> None:
        first = store.save_asset(AssetRecord("bucket", "infra", "S3", "Bucket", "raw files", {"region": "eu"}, NOW, NOW))
        later = NOW + timedelta(days=1)
        again = store.save_asset(AssetRecord("bucket", None, "S3", None, None, {}, later, later))
        assert (again.created, again.updated, again.namespace, again.metadata) == (first.created, later, None, {})
        store.record_asset_usages([_asset("bucket")], [_asset("copy", type_="File")],
                                  [_use("bucket", "IN", "r1"), _use("copy", "OUT", "r1")])
        assert store.get_asset("bucket", tenant="other") is None
        assert store.delete_asset("bucket") is True
        assert store.delete_asset("bucket") is False
        assert store.get_asset("bucket") is None and store.asset_usages("bucket") == []
        assert store.asset_lineage("copy").upstream == []
