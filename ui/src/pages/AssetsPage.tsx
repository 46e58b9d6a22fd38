// Assets: what flows read and write (declared on their tasks) and what people registered by hand, with filters.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router";
import { createAsset } from "../api/assets";
import { AssetList } from "../components/AssetList";
import { ErrorMessage } from "../components/Messages";
import { canSomewhere, useMe } from "../lib/permissions";
import { useUrlFilters } from "../lib/urlFilters";
import "../pages.css";

export default function AssetsPage() {
  const me = useMe();
  const { params, q, page, text, setText, update } = useUrlFilters();
  const namespace = params.get("namespace") ?? "";
  const type = params.get("type") ?? "";
  const [creating, setCreating] = useState(false);
  return (
    <section>
      <div className="page-head">
        <h1>Assets</h1>
        {!creating && canSomewhere(me, "ASSET:CREATE") && <button type="button" onClick={() => setCreating(true)}>New asset</button>}
      </div>
      <p className="muted">Tables, files, datasets and machines your flows read and write: tasks declare them in
        their <code>assets</code> property, and each successful run records them with the lineage between them.</p>
      {creating && <NewAsset onDone={() => setCreating(false)} />}
      <form className="filters" aria-label="Asset filters" onSubmit={(e) => e.preventDefault()}>
        <label className="field">Search
          <input type="search" value={text} placeholder="Id or name" onChange={(e) => setText(e.target.value)} />
        </label>
        <label className="field">Namespace
          <input defaultValue={namespace} key={`ns-${namespace}`} placeholder="company.team"
            onBlur={(e) => update({ namespace: e.target.value.trim(), page: "" })}
            onKeyDown={(e) => { if (e.key === "Enter") update({ namespace: e.currentTarget.value.trim(), page: "" }); }} />
        </label>
        <label className="field">Type
          <input defaultValue={type} key={`type-${type}`} placeholder="io.kestra.plugin.ee.assets.Table"
            onBlur={(e) => update({ type: e.target.value.trim(), page: "" })}
            onKeyDown={(e) => { if (e.key === "Enter") update({ type: e.currentTarget.value.trim(), page: "" }); }} />
        </label>
      </form>
      <AssetList filters={{ q, namespace, type }} page={page} onPage={(p) => update({ page: String(p) })} />
    </section>
  );
}

/** Register an asset no flow manages: an id, and what is known of it. */
function NewAsset({ onDone }: { onDone: () => void }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [draft, setDraft] = useState({ id: "", namespace: "", type: "", displayName: "", description: "" });
  const save = useMutation({
    mutationFn: () => createAsset({
      id: draft.id.trim(), namespace: draft.namespace.trim() || null, type: draft.type.trim() || null,
      displayName: draft.displayName.trim() || null, description: draft.description.trim() || null, metadata: {},
    }),
    onSuccess: (saved) => {
      void client.invalidateQueries({ queryKey: ["assets"] });
      onDone();
      navigate(`/assets/${encodeURIComponent(saved.id)}`);
    },
  });
  const field = (name: keyof typeof draft, label: string, placeholder = "") => (
    <label className="field">{label}
      <input value={draft[name]} placeholder={placeholder} required={name === "id"}
        onChange={(e) => setDraft({ ...draft, [name]: e.target.value })} />
    </label>
  );
  return (
    <form className="filters" aria-label="New asset" onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      {field("id", "Id", "analytics.orders_daily")}
      {field("namespace", "Namespace", "company.team")}
      {field("type", "Type", "io.kestra.plugin.ee.assets.Table")}
      {field("displayName", "Display name")}
      {field("description", "Description")}
      <button type="submit" className="primary" disabled={save.isPending}>Create</button>{" "}
      <button type="button" onClick={onDone}>Cancel</button>
      {save.isError && <ErrorMessage error={save.error} />}
    </form>
  );
}
