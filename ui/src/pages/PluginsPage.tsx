import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { listPlugins, pluginDoc } from "../api/operations";
import { Markdown } from "../components/Markdown";
import { ErrorMessage, Loading } from "../components/Messages";
import "../pages.css";

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
      const family = p.kind === "trigger" ? "triggers" : p.cls.split(".").slice(0, -1).join(".");
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
                  </Link>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </nav>
      <div className="plugin-doc">
        {cls ? <PluginDoc cls={cls} /> : <p className="muted">Pick a type to read its documentation, properties and examples.</p>}
      </div>
    </section>
  );
}

interface PropSchema { type?: string | string[]; anyOf?: PropSchema[]; items?: PropSchema; $ref?: string }

/** A property's JSON Schema type in a few words: "string | null", "array of string", "object". */
function typeOf(p: PropSchema): string {
  if (Array.isArray(p.type)) return p.type.join(" | ");
  if (p.type === "array") return p.items ? `array of ${typeOf(p.items)}` : "array";
  if (p.type) return p.type;
  if (p.anyOf) return [...new Set(p.anyOf.map(typeOf))].join(" | ");
  if (p.$ref) return p.$ref.split("/").pop() ?? "object";
  return "any";
}

function PluginDoc({ cls }: { cls: string }) {
  const doc = useQuery({ queryKey: ["plugin", cls], queryFn: () => pluginDoc(cls), staleTime: Infinity });
  if (doc.isError) return <ErrorMessage error={doc.error} />;
  if (!doc.data) return <Loading what="the documentation" />;
  const d = doc.data;
  const props = Object.entries(d.schema.properties ?? {}).filter(([name]) => !["id", "type"].includes(name));
  const required = new Set(d.schema.required ?? []);
  return (
    <article aria-label={`Documentation of ${d.cls}`}>
      <h2 className="plugin-title"><code>{d.cls}</code> <span className="muted">{d.kind}{d.flowable ? " · flowable" : ""}</span></h2>
      {d.aliases.length > 0 && <p className="muted">Also: {d.aliases.map((a) => <code key={a}>{a}</code>)}</p>}
      <Markdown text={d.markdown} />
      <h3>Properties</h3>
      <table className="list">
        <caption className="sr-only">Properties of {d.cls}</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Description</th></tr></thead>
        <tbody>
          {props.map(([name, p]) => (
            <tr key={name}>
              <td><code>{name}</code>{required.has(name) && <strong title="required"> *</strong>}</td>
              <td>{typeOf(p as PropSchema)}</td>
              <td>{p.description ?? ""}{p.default !== undefined ? <span className="muted"> (default {JSON.stringify(p.default)})</span> : null}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  );
}
