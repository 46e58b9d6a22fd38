// Documentation of the task under the cursor: its description (Markdown, sanitised by lib/markdown.ts), its properties and
// its examples, fetched from GET /plugins/{type} once per type and kept for the session.
import { useQuery } from "@tanstack/react-query";
import { Markdown } from "../components/Markdown";
import { ErrorMessage, Loading } from "../components/Messages";
import { pluginDoc, type JsonSchema, type PluginDoc } from "./api";
import type { CursorTask } from "./cursorTask";

/** A property's type as a short text: `string`, `integer | null`, `array of string`, `Retry`. */
export function typeLabel(schema: JsonSchema): string {
  if (schema.$ref) return schema.$ref.split("/").pop() ?? schema.$ref;
  if (schema.anyOf) return schema.anyOf.map(typeLabel).join(" | ");
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type ?? "any";
  if (type === "array" && schema.items) return `array of ${typeLabel(schema.items)}`;
  return schema.format ? `${type} (${schema.format})` : type;
}

/** Documentation Markdown without the examples block the API appends (the panel shows them apart). */
const description = (doc: PluginDoc) => doc.markdown.split("\n```yaml\n")[0]!.trim();

function Properties({ schema }: { schema: JsonSchema }) {
  const rows = Object.entries(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  if (rows.length === 0) return null;
  return (
    <table className="list props">
      <caption>Properties</caption>
      <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Description</th></tr></thead>
      <tbody>
        {rows.map(([name, prop]) => (
          <tr key={name}>
            <th scope="row"><code>{name}</code>{required.has(name) && <span className="required" title="required"> *</span>}</th>
            <td>{typeLabel(prop)}</td>
            <td>
              {prop.description ?? ""}
              {prop.default !== undefined && prop.default !== null && <> <span className="muted">Default: <code>{JSON.stringify(prop.default)}</code></span></>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DocsPanel({ task }: { task: CursorTask | null }) {
  const doc = useQuery({
    queryKey: ["plugin", task?.type],
    queryFn: () => pluginDoc(task!.type),
    enabled: task !== null,
    staleTime: Infinity,
    gcTime: Infinity,
    retry: false,
  });
  if (!task) return <p className="muted">Put the cursor in a task to see its documentation.</p>;
  return (
    <article className="docs" aria-label={`Documentation of ${task.type}`}>
      <h3><code>{task.type}</code></h3>
      {task.id && <p className="muted">Task <code>{task.id}</code>, line {task.line}</p>}
      {doc.isPending && <Loading what="the documentation" />}
      {doc.isError && <ErrorMessage error={doc.error} />}
      {doc.data && (
        <>
          {doc.data.cls !== task.type && <p className="muted">Also known as <code>{doc.data.cls}</code></p>}
          <Markdown text={description(doc.data)} />
          <Properties schema={doc.data.schema} />
          {doc.data.examples.length > 0 && <h4>Examples</h4>}
          {doc.data.examples.map((example, i) => <pre key={i} className="example"><code>{example}</code></pre>)}
        </>
      )}
    </article>
  );
}
