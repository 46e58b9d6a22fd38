// The API's answers under the names the UI uses. Their shapes come from ./types.ts, generated from the
// OpenAPI document (`make ui-types`); this module only names them, and adds what the document leaves open: a
// flow's own YAML properties (a flow answer passes them through) and the states that end an execution.
import type { components } from "./types";

type Schemas = components["schemas"];

export interface Paged<T> {
  results: T[];
  total: number;
}

export type ErrorDetail = Schemas["ErrorDetail"];
export type ValidateResult = Schemas["ValidateResult"];
export type GraphNode = Schemas["GraphNode"];
export type GraphEdge = Schemas["GraphEdge"];
export type GraphCluster = Schemas["GraphCluster"];
export type FlowGraph = Schemas["FlowGraph"];
export type StateHistory = Schemas["StateHistory"];
export type ExecState = Schemas["StateDto"];
export type TaskRun = Schemas["TaskRunDto"];
export type Execution = Schemas["ExecutionDto"];
export type LogEntry = Schemas["LogEntry"];

export type CheckStyle = "ERROR" | "SUCCESS" | "WARNING" | "INFO";

/** A flow check that does not hold for the inputs given. */
export interface CheckMessage {
  message: string;
  style: CheckStyle;
}

// ---- a flow's YAML properties, which the API passes through as the flow declares them ------------------

export interface FlowInput {
  id: string;
  type: string;
  description?: string | null;
  displayName?: string | null;
  required?: boolean;
  defaults?: unknown;
  values?: string[] | null;
  min?: number | string | null;
  max?: number | string | null;
  /** A STRING input's regular expression: the whole value must match it. */
  validator?: string | null;
  minLength?: number | null;
  maxLength?: number | null;
}

export interface Task {
  id: string;
  type: string;
  [key: string]: unknown;
}

export type Flow = Schemas["FlowDto"] & {
  description?: string | null;
  inputs?: FlowInput[];
  tasks?: Task[];
  /** The triggers as the flow declares them (`id`, `type` and the type's own properties). */
  triggers?: Task[];
  labels?: Record<string, string> | { key: string; value: string }[];
  /** Conditions on the inputs checked before an execution is created. */
  checks?: { condition: string; message: string; style?: CheckStyle; behavior?: string }[];
  source?: string;
};

/** States after which an execution accepts no further events (mirrors legato.model.state.TERMINAL). */
export const TERMINAL_STATES = new Set(["SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "RETRIED", "SKIPPED"]);
