// The executions list's filter bar: active conditions as removable chips, one "add a filter" row (what on,
// which value), time range presets and the order and page size. Everything it changes goes to the URL.
import { useState } from "react";
import {
  chipsOf, PAGE_SIZES, RANGES, SORTS, STATES, parseLabels, type ExecutionFilters,
} from "../lib/executionFilters";

const KINDS = {
  namespace: "Namespace",
  flow: "Flow",
  state: "State",
  label: "Label",
  from: "Started from (day)",
  to: "Started until (day)",
} as const;
type Kind = keyof typeof KINDS;

interface Props {
  filters: ExecutionFilters;
  namespaces: string[];
  update: (changes: Partial<ExecutionFilters>) => void;
  clear: () => void;
}

/** The condition `value` adds to `filters` for a `kind`, or null when the value is not usable. */
function added(kind: Kind, value: string, filters: ExecutionFilters): Partial<ExecutionFilters> | null {
  const text = value.trim();
  if (!text) return null;
  switch (kind) {
    case "namespace": return { namespace: text, flowId: "" };
    case "flow": return filters.namespace ? { flowId: text } : null;
    case "state": return filters.states.includes(text) ? null : { states: [...filters.states, text] };
    case "label": {
      const labels = parseLabels(text).filter((l) => !filters.labels.includes(l));
      return labels.length ? { labels: [...filters.labels, ...labels] } : null;
    }
    case "from": return { from: text, range: "" };
    case "to": return { to: text, range: "" };
  }
}

export function FilterBar({ filters, namespaces, update, clear }: Props) {
  const [kind, setKind] = useState<Kind>("state");
  const [value, setValue] = useState("");
  const [problem, setProblem] = useState("");
  const chips = chipsOf(filters);
  const choose = (next: Kind) => {
    setKind(next);
    setValue(next === "state" ? STATES.find((s) => !filters.states.includes(s)) ?? "" : next === "namespace" ? namespaces[0] ?? "" : "");
    setProblem("");
  };
  const submit = () => {
    const change = added(kind, kind === "state" && !value ? STATES[0]! : value, filters);
    if (!change) {
      setProblem(kind === "flow" && !filters.namespace ? "Add a namespace filter first: a flow id is unique within its namespace."
        : kind === "label" ? "A label filter is key:value." : "Give a value to filter on.");
      return;
    }
    setProblem("");
    setValue(kind === "state" || kind === "namespace" ? value : "");
    update(change);
  };

  return (
    <div className="filter-bar" role="search" aria-label="Filter executions">
      <ul className="chips" aria-label="Active filters">
        {chips.map((c) => (
          <li key={`${c.label}:${c.value}`} className="chip">
            <span>{c.label} <strong>{c.value}</strong></span>
            <button type="button" className="chip-remove" aria-label={`Remove the filter ${c.label} ${c.value}`}
              onClick={() => update(c.without)}>×</button>
          </li>
        ))}
        {chips.length === 0 && <li className="muted chip-none">All executions</li>}
      </ul>
      <form className="add-filter" aria-label="Add a filter" onSubmit={(e) => { e.preventDefault(); submit(); }}>
        <select aria-label="Filter on" value={kind} onChange={(e) => choose(e.target.value as Kind)}>
          {(Object.keys(KINDS) as Kind[]).map((k) => <option key={k} value={k}>{KINDS[k]}</option>)}
        </select>
        {kind === "state" && (
          <select aria-label="Filter value" value={value || STATES[0]} onChange={(e) => setValue(e.target.value)}>
            {STATES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        )}
        {kind === "namespace" && (
          <select aria-label="Filter value" value={value} onChange={(e) => setValue(e.target.value)}>
            <option value="">Choose a namespace</option>
            {namespaces.map((ns) => <option key={ns} value={ns}>{ns}</option>)}
          </select>
        )}
        {(kind === "flow" || kind === "label") && (
          <input aria-label="Filter value" value={value} onChange={(e) => setValue(e.target.value)}
            placeholder={kind === "flow" ? "flow id" : "key:value"} />
        )}
        {(kind === "from" || kind === "to") && (
          <input aria-label="Filter value" type="date" value={value} onChange={(e) => setValue(e.target.value)} />
        )}
        <button type="submit">Add filter</button>
        {problem && <span role="alert" className="bad">{problem}</span>}
      </form>
      <div className="filter-row">
        <div role="group" aria-label="Time range" className="presets">
          <button type="button" aria-pressed={!filters.range && !filters.from && !filters.to}
            onClick={() => update({ range: "", from: "", to: "" })}>All time</button>
          {Object.entries(RANGES).map(([key, r]) => (
            <button key={key} type="button" aria-pressed={filters.range === key}
              onClick={() => update({ range: key, from: "", to: "" })}>{r.label}</button>
          ))}
        </div>
        <label>
          Order
          <select value={filters.sort} onChange={(e) => update({ sort: e.target.value })}>
            {Object.entries(SORTS).map(([v, label]) => <option key={v} value={v}>{label}</option>)}
          </select>
        </label>
        <label>
          Per page
          <select value={filters.size} onChange={(e) => update({ size: Number(e.target.value) })}>
            {PAGE_SIZES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <button type="button" className="ghost" onClick={clear} disabled={chips.length === 0}>Clear all filters</button>
      </div>
    </div>
  );
}
