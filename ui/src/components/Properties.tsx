// A task or trigger type's properties, as the plugin pages and the editor's docs panel show them: names as
// written (never re-cased, never split), the type's own properties first (required ones on top, marked), the
// properties every task or trigger shares folded below; and its YAML examples, each with a copy button.
import { useState } from "react";
import type { JsonSchema } from "../editor/api";

/** Properties every task or trigger has: they come from the base classes, not from the type itself. */
export const GENERIC = new Set([
  "id", "type", "description", "retry", "timeout", "disabled", "allowFailure", "allowWarning", "runIf", "when",
  "logLevel", "logToFile", "workerGroup", "workerSelector", "taskCache", "assets", "conditions", "stopAfter",
]);

/** A property's type as a short text: `string`, `integer | null`, `array of string`, `Retry`. */
export function typeLabel(schema: JsonSchema): string {
  if (schema.$ref) return schema.$ref.split("/").pop() ?? schema.$ref;
  if (schema.anyOf) return [...new Set(schema.anyOf.map(typeLabel))].join(" | ");
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type ?? "any";
  if (type === "array" && schema.items) return `array of ${typeLabel(schema.items)}`;
  return schema.format ? `${type} (${schema.format})` : type;
}

/** [own, generic] property names: own ones required first, each group otherwise in the schema's order. */
export function orderProperties(schema: JsonSchema): [string[], string[]] {
  const names = Object.keys(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  const own = names.filter((n) => !GENERIC.has(n));
  return [[...own.filter((n) => required.has(n)), ...own.filter((n) => !required.has(n))], names.filter((n) => GENERIC.has(n))];
}

function Rows({ schema, names }: { schema: JsonSchema; names: string[] }) {
  const required = new Set(schema.required ?? []);
  return (
    <tbody>
      {names.map((name) => {
        const prop = schema.properties![name]!;
        return (
          <tr key={name}>
            <th scope="row" className="prop-name">
              <code>{name}</code>
              {required.has(name) && <span className="required-tag">required</span>}
            </th>
            <td className="prop-type">{typeLabel(prop)}</td>
            <td>
              {prop.description ?? ""}
              {prop.default !== undefined && prop.default !== null && <> <span className="muted">Default: <code>{JSON.stringify(prop.default)}</code></span></>}
            </td>
          </tr>
        );
      })}
    </tbody>
  );
}

function Table({ schema, names, caption }: { schema: JsonSchema; names: string[]; caption: string }) {
  return (
    <table className="list props">
      <caption>{caption}</caption>
      <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Description</th></tr></thead>
      <Rows schema={schema} names={names} />
    </table>
  );
}

export function Properties({ schema }: { schema: JsonSchema }) {
  const [own, generic] = orderProperties(schema);
  if (own.length + generic.length === 0) return null;
  return (
    <>
      {own.length > 0 ? <Table schema={schema} names={own} caption="Properties" /> : <p className="muted">No property of its own.</p>}
      {generic.length > 0 && (
        <details className="generic-props">
          <summary>Common properties ({generic.length}): {generic.join(", ")}</summary>
          <Table schema={schema} names={generic} caption="Common properties" />
        </details>
      )}
    </>
  );
}

/** YAML examples, each with a button that copies it. */
export function Examples({ examples }: { examples: readonly string[] }) {
  const [copied, setCopied] = useState<number | null>(null);
  if (examples.length === 0) return null;
  const copy = (i: number) => navigator.clipboard.writeText(examples[i]!).then(() => setCopied(i), () => setCopied(null));
  return (
    <>
      <h4>Examples</h4>
      {examples.map((example, i) => (
        <div key={i} className="example-block">
          <button type="button" className="copy" onClick={() => copy(i)}>
            {copied === i ? `Copied example ${i + 1}` : `Copy example ${i + 1}`}
          </button>
          <pre className="example"><code>{example}</code></pre>
        </div>
      ))}
    </>
  );
}
