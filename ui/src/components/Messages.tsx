import { Link } from "react-router";
import { ApiError } from "../api/client";

export function ErrorMessage({ error }: { error: unknown }) {
  const message = error instanceof Error ? error.message : String(error);
  const details = error instanceof ApiError ? error.details : [];
  return (
    <div role="alert" className="error">
      <p>{message}</p>
      {details.length > 0 && (
        <ul>
          {details.map((d, i) => (
            <li key={i}>{d.line ? `Line ${d.line}: ` : ""}{d.path ? `${d.path}: ` : ""}{d.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export const Loading = ({ what }: { what: string }) => <p role="status">Loading {what}…</p>;

export function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p><Link to="/">Back to the start page</Link></p>
    </section>
  );
}
