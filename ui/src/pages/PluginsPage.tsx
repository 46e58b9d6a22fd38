import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { listPlugins, pluginDoc } from "../api/operations";
import { Markdown } from "../components/Markdown";
import { Examples, Properties } from "../components/Properties";
import type { JsonSchema } from "../editor/api";
import { ErrorMessage, Loading } from "../components/Messages";
import "../pages.css";

/** A type's family from its package, readable: `jdbc.postgresql.Query` → "Jdbc › Postgresql". */
export function familyOf(cls: string): string {
  const parts = cls.replace(/^io\.kestra\.(plugin|core\.tasks)\./, "").split(".").slice(0, -1);
  return parts.map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join(" › ") || "Core";
}

/** Every task and trigger type, grouped by family, with one type's docs, properties and examples. */
export default function PluginsPage() {
  const { cls } = useParams();
  const [params, setParams] = useSearchParams();
  const q = (params.get("q") ?? "").toLowerCase();
  const plugins = useQuery({ queryKey: ["plugins"], queryFn: listPlugins, staleTime: Infinity });
  const groups = useMemo(() => {
    const out = new Map<string, typeof plugins.data>();
    for (const p of plugins.data ?? []) {
      if (q && !`${p.cls} ${p.aliases.join(" ")} ${p.title}`.toLowerCase().includes(q)) continue;
      const family = familyOf(p.cls);
      out.set(family, [...(out.get(family) ?? []), p]);
    }
    return [...out.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [plugins.data, q]);
  return (
    <section className="plugins-layout">
      <nav aria-label="Plugin types" className="plugin-index">
        <h1>Plugins</h1>
        <label className="field">
          Filter types
          <input type="search" value={params.get("q") ?? ""} onChange={(e) => setParams(e.target.value ? { q: e.target.value } : {}, { replace: true })} />
        </label>
        {plugins.isError && <ErrorMessage error={plugins.error} />}
        {plugins.isPending && <Loading what="plugins" />}
        {groups.map(([family, items]) => (
          <div key={family}>
            <h2>{family}</h2>
            <ul>
              {items!.map((p) => (
                <li key={p.cls}>
                  <Link to={`/plugins/${encodeURIComponent(p.cls)}${q ? `?q=${encodeURIComponent(q)}` : ""}`} aria-current={p.cls === cls ? "page" : undefined}>
                    {p.cls.split(".").pop()}
                  </Link>{p.kind === "trigger" && <span className="muted"> · trigger</span>}
                </li>
              ))}
            </ul>
          </div>
        ))}
      </nav>
      <div className="plugin-doc">
        {cls ? <PluginDoc cls={cls} /> : (
          <>
            <p className="muted">Pick a type to read its documentation, properties and examples, or a family:</p>
            <ul className="families" aria-label="Plugin families">
              {groups.map(([family, items]) => (
                <li key={family}>
                  <Link to={`/plugins?q=${encodeURIComponent(items![0]!.cls.split(".").slice(0, -1).join("."))}`}>{family} ({items!.length})</Link>
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
    </section>
  );
}

function PluginDoc({ cls }: { cls: string }) {
  const doc = useQuery({ queryKey: ["plugin", cls], queryFn: () => pluginDoc(cls), staleTime: Infinity });
  if (doc.isError) return <ErrorMessage error={doc.error} />;
  if (!doc.data) return <Loading what="the documentation" />;
  const d = doc.data;
  return (
    <article aria-label={`Documentation of ${d.cls}`} className="docs">
      <h2 className="plugin-title"><code>{d.cls}</code> <span className="muted">{familyOf(d.cls)} · {d.kind}{d.flowable ? " · flowable" : ""}</span></h2>
      {d.aliases.length > 0 && <p className="muted">Also: {d.aliases.map((a) => <code key={a}>{a} </code>)}</p>}
      <Markdown text={d.markdown.split("\n```yaml\n")[0]!.trim()} />
      <h3>Properties</h3>
      <Properties schema={d.schema as JsonSchema} />
      <Examples examples={d.examples} />
    </article>
  );
}
