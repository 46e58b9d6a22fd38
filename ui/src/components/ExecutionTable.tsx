import { Link } from "react-router";
import type { Execution } from "../api/models";
import { duration, StateBadge } from "./StateBadge";
import { When } from "./When";

interface Props {
  executions: Execution[];
  caption: string;
  compact?: boolean;
  /** With a selection, each row gets a checkbox (bulk actions). */
  selected?: Set<string>;
  onSelect?: (ids: string[], on: boolean) => void;
}

/** Executions as rows: id, flow, state, start, duration, labels. */
export function ExecutionTable({ executions, caption, compact, selected, onSelect }: Props) {
  const selectable = selected !== undefined && onSelect !== undefined;
  const all = executions.length > 0 && executions.every((x) => selected?.has(x.id));
  return (
    <table className="list">
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr>
          {selectable && (
            <th scope="col">
              <input type="checkbox" aria-label="Select all on this page" checked={all}
                onChange={(e) => onSelect(executions.map((x) => x.id), e.target.checked)} />
            </th>
          )}
          <th scope="col">Execution</th>
          <th scope="col">Flow</th>
          <th scope="col">State</th>
          <th scope="col">Started</th>
          {!compact && <th scope="col">Duration</th>}
          {!compact && <th scope="col">Labels</th>}
        </tr>
      </thead>
      <tbody>
        {executions.map((x) => (
          <tr key={x.id} data-execution={x.id}>
            {selectable && (
              <td>
                <input type="checkbox" aria-label={`Select ${x.id}`} checked={selected.has(x.id)}
                  onChange={(e) => onSelect([x.id], e.target.checked)} />
              </td>
            )}
            <td><Link to={`/executions/${x.id}`}><code>{x.id.slice(0, 12)}</code></Link></td>
            <td><Link to={`/flows/${x.namespace}/${x.flowId}`}>{x.namespace}.{x.flowId}</Link></td>
            <td><StateBadge state={x.state.current} /></td>
            <td><When iso={x.state.startDate} /></td>
            {!compact && <td>{duration(x.state.startDate, x.state.endDate)}</td>}
            {!compact && <td><Labels labels={x.labels} /></td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Labels({ labels }: { labels: { key: string; value: string }[] }) {
  return (
    <span className="labels">
      {labels.map((l) => <span key={l.key} className="label">{l.key}:{l.value}</span>)}
    </span>
  );
}
