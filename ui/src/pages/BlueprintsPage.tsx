import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { blueprintTags, searchBlueprints } from "../api/operations";
import { ErrorMessage, Loading } from "../components/Messages";
import "../pages.css";
import { Summary } from "../components/Summary";

/** The gallery of shipped example flows, searchable by text and tag (both in the URL). */
export default function BlueprintsPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const tags = params.getAll("tag");
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  useEffect(() => {
    if (text === q) return;
    const timer = setTimeout(() => {
      const next = new URLSearchParams(params);
      if (text) next.set("q", text);
      else next.delete("q");
      setParams(next, { replace: true });
    }, 250);
    return () => clearTimeout(timer);
  });
  const toggle = (tag: string) => {
    const next = new URLSearchParams(params);
    next.delete("tag");
    for (const t of tags.includes(tag) ? tags.filter((x) => x !== tag) : [...tags, tag]) next.append("tag", t);
    setParams(next, { replace: true });
  };
  const allTags = useQuery({ queryKey: ["blueprint-tags"], queryFn: blueprintTags, staleTime: Infinity });
  const found = useQuery({
    queryKey: ["blueprints", q, tags.join(",")],
    queryFn: () => searchBlueprints(q, tags),
    placeholderData: keepPreviousData,
    staleTime: Infinity,
  });
  return (
    <section>
      <div className="page-head"><h1>Blueprints</h1><span className="muted">Ready-to-run example flows: pick one, then Use it.</span></div>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>Search blueprints<input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="title, description or task type" /></label>
      </form>
      <div className="tag-filter" role="group" aria-label="Tags">
        {(allTags.data ?? []).map((t) => (
          <button key={t.name} type="button" className={`tag${tags.includes(t.name) ? " on" : ""}`} aria-pressed={tags.includes(t.name)} onClick={() => toggle(t.name)}>
            {t.name} <span className="muted">{t.count}</span>
          </button>
        ))}
      </div>
      {found.isError && <ErrorMessage error={found.error} />}
      {found.isPending && <Loading what="blueprints" />}
      {found.data && (
        <>
          <p className="muted" aria-live="polite">{found.data.total} blueprint{found.data.total === 1 ? "" : "s"}</p>
          <ul className="gallery" aria-busy={found.isFetching}>
            {found.data.results.map((b) => (
              <li key={b.id} className="card blueprint" aria-labelledby={`bp-${b.id}`}>
                <h2 id={`bp-${b.id}`}>{b.title}</h2>
                <p className="muted"><Summary text={b.description} max={160} /></p>
                <p className="labels">{b.tags.map((t) => <span key={t} className="label">{t}</span>)}</p>
                {b.requires.length > 0 && <p className="muted">Needs: {b.requires.join(", ")}</p>}
                <p>
                  <Link className="button primary" to={`/flows/new?blueprint=${encodeURIComponent(b.id)}`} aria-label={`Use ${b.title}`}>Use</Link>{" "}
                  <Link to={`/blueprints/${encodeURIComponent(b.id)}`} aria-label={`Details of ${b.title}`}>Details</Link>
                </p>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
