// A namespace's own variables and plugin defaults, edited as YAML (as Kestra does), with what its parent
// namespaces define shown below. Both are kept together on the server: saving one part keeps the other.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { parse, stringify, YAMLParseError } from "yaml";
import {
  getNamespace, inheritedPluginDefaults, inheritedVariables, putNamespace, type NamespaceSettings,
} from "../api/operations";
import { canIn, useMe } from "../lib/permissions";
import { ErrorMessage, Loading } from "./Messages";

export type Part = "variables" | "pluginDefaults";

const TEXT: Record<Part, { label: string; empty: string; example: string; inherited: string }> = {
  variables: {
    label: "Variables (YAML)",
    empty: "{}",
    example: "region: eu-west-1\nbucket: team-data",
    inherited: "Inherited from parent namespaces",
  },
  pluginDefaults: {
    label: "Plugin defaults (YAML)",
    empty: "[]",
    example: "- type: io.kestra.plugin.core.log.Log\n  values:\n    level: WARN",
    inherited: "Inherited from parent namespaces",
  },
};

/** The YAML text's value checked for `part`: a mapping of variables, or a list of {type, values, forced}. */
export function parsePart(part: Part, text: string): { value: unknown } | { problem: string } {
  let value: unknown;
  try {
    value = text.trim() ? parse(text) : part === "variables" ? {} : [];
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const where = e.linePos?.[0];
      return { problem: `${where ? `Line ${where.line}: ` : ""}${e.message.split("\n")[0]}` };
    }
    return { problem: String(e) };
  }
  if (value == null) value = part === "variables" ? {} : [];
  if (part === "variables" && (typeof value !== "object" || Array.isArray(value))) {
    return { problem: "Variables are a mapping of names to values, such as `region: eu-west-1`." };
  }
  if (part === "pluginDefaults") {
    if (!Array.isArray(value)) return { problem: "Plugin defaults are a list: each item starts with `- type:`." };
    const bad = value.findIndex((d) => !d || typeof d !== "object" || typeof (d as { type?: unknown }).type !== "string");
    if (bad >= 0) return { problem: `Item ${bad + 1} needs a \`type\` (a task or trigger type, or a prefix of one).` };
  }
  return { value };
}

const shown = (value: unknown, part: Part) =>
  (part === "variables" ? Object.keys(value as object).length : (value as unknown[]).length) === 0 ? "" : stringify(value);

export function NamespaceSettingsTab({ namespace, part }: { namespace: string; part: Part }) {
  const settings = useQuery({ queryKey: ["namespace", namespace], queryFn: () => getNamespace(namespace) });
  const inherited = useQuery({
    queryKey: ["namespace", namespace, "inherited", part],
    queryFn: (): Promise<unknown> => (part === "variables" ? inheritedVariables(namespace) : inheritedPluginDefaults(namespace)),
  });
  if (settings.isError) return <ErrorMessage error={settings.error} />;
  if (!settings.data) return <Loading what={part === "variables" ? "the variables" : "the plugin defaults"} />;
  const parents = inherited.data;
  const hasParents = parents != null && (Array.isArray(parents) ? parents.length > 0 : Object.keys(parents).length > 0);
  return (
    <>
      <p className="muted">
        {part === "variables"
          ? <>Flows of this namespace and of its children read them as <code>{"{{ namespace.region }}"}</code>; a child namespace's own value wins. New renders see a change within seconds.</>
          : <>Default properties for tasks and triggers of a type, applied to the flows of this namespace and of its children below each flow's own <code>pluginDefaults</code>; <code>forced: true</code> overrides even the task's own value.</>}
      </p>
      <Editor key={`${namespace}/${part}`} namespace={namespace} part={part} settings={settings.data} />
      {inherited.isError && <ErrorMessage error={inherited.error} />}
      {hasParents && (
        <section aria-labelledby={`inherited-${part}`}>
          <h2 id={`inherited-${part}`}>{TEXT[part].inherited}</h2>
          <pre className="card inherited" tabIndex={0} aria-labelledby={`inherited-${part}`}>{stringify(parents)}</pre>
        </section>
      )}
    </>
  );
}

function Editor({ namespace, part, settings }: { namespace: string; part: Part; settings: NamespaceSettings }) {
  const client = useQueryClient();
  const me = useMe();
  const mayEdit = canIn(me, "NAMESPACE:UPDATE", namespace);
  const [text, setText] = useState(() => shown(settings[part], part));
  const [problem, setProblem] = useState("");
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: (value: unknown) => putNamespace(namespace, {
      description: settings.description, variables: settings.variables, pluginDefaults: settings.pluginDefaults,
      [part]: value,
    }),
    onSuccess: (result) => {
      setSaved(true);
      client.setQueryData(["namespace", namespace], result);
      void client.invalidateQueries({ queryKey: ["namespace"], predicate: (q) => q.queryKey[2] === "inherited" });
    },
  });
  const id = `namespace-${part}`;
  return (
    <form className="card namespace-settings" aria-label={TEXT[part].label} onSubmit={(e) => {
      e.preventDefault();
      const checked = parsePart(part, text);
      setSaved(false);
      if ("problem" in checked) {
        setProblem(checked.problem);
        return;
      }
      setProblem("");
      save.mutate(checked.value);
    }}>
      <label htmlFor={id}>{TEXT[part].label}</label>
      <textarea id={id} className="code" rows={12} spellCheck={false} value={text} readOnly={!mayEdit}
        placeholder={TEXT[part].example} aria-describedby={problem ? `${id}-problem` : undefined}
        onChange={(e) => { setText(e.target.value); setSaved(false); }} />
      {problem && <p id={`${id}-problem`} role="alert" className="bad">{problem}</p>}
      {save.isError && <ErrorMessage error={save.error} />}
      {mayEdit && (
        <p className="actions">
          <button type="submit" className="primary" disabled={save.isPending}>Save</button>
          {saved && <span role="status">Saved.</span>}
        </p>
      )}
    </form>
  );
}
