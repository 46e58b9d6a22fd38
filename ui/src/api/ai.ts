// The AI copilot's calls (api/ai.py) and whether this server has one (GET /configs, `isAiEnabled`).
import { useQuery } from "@tanstack/react-query";
import { request } from "./client";
import type { components } from "./types";

type Schemas = components["schemas"];
export type FlowProposal = Schemas["FlowProposal"];
export type FixProposal = Schemas["FixProposal"];
export type Configs = Schemas["Configs"];

const enc = encodeURIComponent;
const json = (body: unknown): RequestInit => ({
  method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" },
});

/** A flow for `prompt`, or a change of `flowYaml` (Kestra's body): proposed only once it validates. `flow`: the
 * saved flow being edited, whose id and namespace the proposal keeps. */
export const generateFlow = (prompt: string, flowYaml: string | null, flow?: { namespace: string; id: string },
  signal?: AbortSignal): Promise<FlowProposal> =>
  request("/ai/generate/flow", {
    ...json({ userPrompt: prompt, flowYaml, namespace: flow?.namespace ?? null, flowId: flow?.id ?? null }), signal,
  });

/** A change of a failed execution's flow (a diff against its current revision). */
export const fixExecution = (executionId: string, prompt: string | null, signal?: AbortSignal): Promise<FixProposal> =>
  request(`/ai/fix/execution/${enc(executionId)}`, { ...json({ userPrompt: prompt }), signal });

export const getConfigs = (): Promise<Configs> => request("/configs");

/** Whether the server's copilot has a model (read once per page load); false until known. */
export function useAiEnabled(): boolean {
  return useQuery({ queryKey: ["configs"], queryFn: getConfigs, staleTime: Infinity, retry: false }).data?.isAiEnabled === true;
}
