import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { searchAssets, typeLabel, type AssetFilters } from "../api/assets";
import { ErrorMessage, Loading } from "./Messages";
import { Pager } from "./Pager";
import { When } from "./When";

const SIZE = 25;

/** A page of the assets matching `filters`, with a pager. */
export function AssetList({ filters, page, onPage }: { filters: AssetFilters; page: number; onPage: (page: number) => void }) {
  const found = useQuery({
    queryKey: ["assets", filters.q ?? "", filters.namespace ?? "", filters.type ?? "", page],
    queryFn: () => searchAssets(filters, page, SIZE),
    placeholderData: keepPreviousData,
  });
  if (found.isError) return <ErrorMessage error={found.error} />;
  if (!found.data) return <Loading what="assets" />;
  return (
    <>
      <table className="list">
        <caption className="sr-only">Assets</caption>
        <thead><tr><th scope="col">Asset</th><th scope="col">Type</th><th scope="col">Namespace</th>
          <th scope="col">Metadata</th><th scope="col">Updated</th></tr></thead>
        <tbody>
          {found.data.results.map((a) => (
            <tr key={a.id} data-asset={a.id}>
              <td><Link to={`/assets/${encodeURIComponent(a.id)}`}>{a.id}</Link>
                {a.displayName ? <span className="muted"> {a.displayName}</span> : null}</td>
              <td title={a.type ?? ""}>{typeLabel(a.type)}</td>
              <td>{a.namespace ?? ""}</td>
              <td>{Object.entries(a.metadata).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(", ")}</td>
              <td><When iso={a.updated} /></td>
            </tr>
          ))}
          {found.data.total === 0 && <tr><td colSpan={5} className="muted">No asset matches. Declare <code>assets</code> on a
            task and run its flow, or register one by hand.</td></tr>}
        </tbody>
      </table>
      <Pager page={page} size={SIZE} total={found.data.total} onPage={onPage} />
    </>
  );
}
