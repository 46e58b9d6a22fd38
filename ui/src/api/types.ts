// Shapes of the REST API's answers (Kestra field names), as far as the UI reads them.

export interface Paged<T> {
  results: T[];
  total: number;
}

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
}

export interface Task {
  id: string;
  type: string;
  [key: string]: unknown;
}

export interface Flow {
  id: string;
  namespace: string;
  revision: number;
  description?: string | null;
  disabled?: boolean;
  updated?: string | null;
  inputs?: FlowInput[];
  tasks?: Task[];
  /** The triggers as the flow declares them (`id`, `type` and the type's own properties). */
  triggers?: Task[];
  labels?: Record<string, string> | { key: string; value: string }[];
  /** Conditions on the inputs checked before an execution is created. */
  checks?: { condition: string; message: string; style?: CheckStyle; behavior?: string }[];
  source?: string;
}

export type CheckStyle = "ERROR" | "SUCCESS" | "WARNING" | "INFO";

/** A flow check that does not hold for the inputs given. */
export interface CheckMessage {
  message: string;
  style: CheckStyle;
}

export interface GraphNode {
  uid: string;
  type: string;
  taskId: string | null;
  taskType: string | null;
  flowable: boolean;
}

export interface GraphEdge {
  source: string;
  target: string;
  relation: string;
  value: string | null;
}

export interface GraphCluster {
  uid: string;
  taskId: string;
  nodes: string[];
}

export interface FlowGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  clusters: GraphCluster[];
}

export interface StateHistory {
  state: string;
  date: string;
}

export interface ExecState {
  current: string;
  histories: StateHistory[];
  startDate?: string | null;
  endDate?: string | null;
}

export interface TaskRun {
  id: string;
  taskId: string;
  parentTaskRunId: string | null;
  value: string | null;
  iteration: number | null;
  state: ExecState;
  attempts: unknown[];
  outputs: Record<string, unknown>;
  /** Why the task run failed, as its last attempt reported it. */
  error?: string | null;
}

export interface Execution {
  id: string;
  namespace: string;
  flowId: string;
  flowRevision: number;
  state: ExecState;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  labels: { key: string; value: string }[];
  taskRunList: TaskRun[];
  originalId?: string | null;
  parentId?: string | null;
  /** Why the execution failed when no task run did (a bad input, an unknown flow revision...). */
  error?: string | null;
}

export interface LogEntry {
  executionId: string;
  taskRunId: string | null;
  taskId: string | null;
  attemptNumber: number | null;
  level: string;
  message: string;
  timestamp: string;
}

export interface ErrorDetail {
  path: string;
  message: string;
  line: number | null;
  column: number | null;
}

export interface ValidateResult {
  index: number;
  flow: string | null;
  namespace: string | null;
  constraints: string | null;
  outdated: boolean;
  details: ErrorDetail[];
  /** Expression findings of a valid flow, as `line:column: property: finding`. */
  warnings?: string[];
  warningDetails?: ErrorDetail[];
}

/** States after which an execution accepts no further events (mirrors legato.model.state.TERMINAL). */
export const TERMINAL_STATES = new Set(["SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "RETRIED", "SKIPPED"]);
