import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { blueprintTags, searchBlueprints } from "../api/operations";
import { ErrorMessage, Loading } from "../components/Messages";
import "../pages.css";
import { Summary } from "../components/Summary";
import { useUrlFilters } from "../lib/urlFilters";

/** The gallery of shipped example flows, searchable by text and tag (both in the URL). */
export default function BlueprintsPage() {
  const { params, q, text, setText, edit } = useUrlFilters();
  const tags = params.getAll("tag");
  const toggle = (tag: string) => edit((next) => {
    const current = next.getAll("tag");
    next.delete("tag");
    for (const t of current.includes(tag) ? current.filter((x) => x !== tag) : [...current, tag]) next.append("tag", t);
  });
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
