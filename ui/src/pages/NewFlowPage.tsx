import { useQuery } from "@tanstack/react-query";
import { useLocation, useNavigate, useSearchParams } from "react-router";
import { getBlueprint } from "../api/operations";
import { ErrorMessage, Loading } from "../components/Messages";
import FlowEditor from "../components/FlowEditor";
import { readSettings } from "../lib/settings";

export const TEMPLATE = `id: my_flow
namespace: company.team
description: What this flow does.

inputs:
  - id: name
    type: STRING
    defaults: World

tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "Hello, {{ inputs.name }}!"
`;

/** The new-flow template in `namespace` (the default namespace of Settings), else in company.team. */
export const templateIn = (namespace: string): string =>
  namespace ? TEMPLATE.replace("namespace: company.team", `namespace: ${namespace}`) : TEMPLATE;

/** A new flow: the editor on a small template; saving opens the flow's page. */
export default function NewFlowPage() {
  const navigate = useNavigate();
  // "Duplicate" on a flow's page starts from a copy of its source.
  const copied = (useLocation().state as { source?: string } | null)?.source;
  // `?blueprint=ID` ("Use" in the Blueprints gallery) starts from that blueprint's flow.
  const [params] = useSearchParams();
  const blueprintId = params.get("blueprint");
  const blueprint = useQuery({ queryKey: ["blueprint", blueprintId], queryFn: () => getBlueprint(blueprintId!), enabled: !!blueprintId, staleTime: Infinity });
  if (blueprintId && blueprint.isError) return <ErrorMessage error={blueprint.error} />;
  if (blueprintId && !blueprint.data) return <Loading what="the blueprint" />;
  return (
    <section>
      <h1>New flow{blueprint.data ? ` from “${blueprint.data.title}”` : copied ? " (a copy)" : ""}</h1>
      <FlowEditor
        key={blueprintId ?? ""}
        initialSource={blueprint.data?.source ?? copied ?? templateIn(readSettings().defaultNamespace)}
        onSaved={(flow) => navigate(`/flows/${flow.namespace}/${flow.id}/editor`, { replace: true, state: { created: flow.revision } })}
      />
    </section>
  );
}
