import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { getBlueprint } from "../api/operations";
import { Markdown } from "../components/Markdown";
import { ErrorMessage, Loading } from "../components/Messages";
import "../pages.css";

export default function BlueprintPage() {
  const { blueprintId = "" } = useParams();
  const blueprint = useQuery({ queryKey: ["blueprint", blueprintId], queryFn: () => getBlueprint(blueprintId), staleTime: Infinity });
  if (blueprint.isError) return <ErrorMessage error={blueprint.error} />;
  if (!blueprint.data) return <Loading what="the blueprint" />;
  const b = blueprint.data;
  return (
    <section>
      <nav className="breadcrumb" aria-label="Breadcrumb"><Link to="/blueprints">Blueprints</Link> /</nav>
      <div className="page-head">
        <h1>{b.title}</h1>
        <Link className="button primary" to={`/flows/new?blueprint=${encodeURIComponent(b.id)}`}>Use this blueprint</Link>
      </div>
      <Markdown text={b.description} />
      <p className="labels">{b.tags.map((t) => <Link key={t} className="label" to={`/blueprints?tag=${encodeURIComponent(t)}`}>{t}</Link>)}</p>
      <h2>Task types</h2>
      <ul>{b.includedTasks.map((t) => <li key={t}><Link to={`/plugins/${encodeURIComponent(t)}`}><code>{t}</code></Link></li>)}</ul>
      <h2>Flow</h2>
      <pre className="source">{b.source}</pre>
    </section>
  );
}
