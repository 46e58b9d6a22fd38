// Documentation of the task under the cursor: its description (Markdown, sanitised by lib/markdown.ts), its properties and
// its examples, fetched from GET /plugins/{type} once per type and kept for the session.
import { useQuery } from "@tanstack/react-query";
import { Markdown } from "../components/Markdown";
import { Examples, Properties } from "../components/Properties";
import { ErrorMessage, Loading } from "../components/Messages";
import { pluginDoc, type PluginDoc } from "./api";
import type { CursorTask } from "./cursorTask";

/** Documentation Markdown without the examples block the API appends (the panel shows them apart). */
const description = (doc: PluginDoc) => doc.markdown.split("\n```yaml\n")[0]!.trim();

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
          <Examples examples={doc.data.examples} />
        </>
      )}
    </article>
  );
}
