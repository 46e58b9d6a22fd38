import { useNavigate } from "react-router";
import FlowEditor from "../components/FlowEditor";

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

/** A new flow: the editor on a small template; saving opens the flow's page. */
export default function NewFlowPage() {
  const navigate = useNavigate();
  return (
    <section>
      <h1>New flow</h1>
      <FlowEditor
        initialSource={TEMPLATE}
        onSaved={(flow) => navigate(`/flows/${flow.namespace}/${flow.id}/editor`, { replace: true, state: { created: flow.revision } })}
      />
    </section>
  );
}
