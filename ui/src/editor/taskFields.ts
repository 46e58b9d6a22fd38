// A task type's JSON Schema as form fields: which input each property gets, how its text becomes a YAML value,
// what is wrong with it, and the placeholder a new task starts with. Pure: the form (TaskForm.tsx) renders
// these and the YAML edits come from taskYaml.ts.
import { parse, stringify } from "yaml";
import { GENERIC } from "../components/Properties";
import type { JsonSchema } from "./api";

/** How a property is edited: one input per scalar kind, a list (one item per line), or a YAML snippet. */
export type FieldKind = "string" | "text" | "integer" | "number" | "boolean" | "enum" | "duration" | "list" | "yaml" | "tasks";

export interface Field {
  name: string;
  required: boolean;
  /** A property every task shares (id, retry, timeout…): shown folded below the type's own. */
  generic: boolean;
  description: string;
  /** The kinds the schema accepts, the preferred one first. */
  kinds: FieldKind[];
  /** Values of an enum. */
  options: string[];
  /** An expression (`{{ … }}`) is accepted in place of the value. */
  expressions: boolean;
  default: unknown;
  schema: JsonSchema;
}

/** Properties whose text usually spans lines (scripts, queries, bodies): a text area from the start. */
const LONG_TEXT = new Set(["script", "sql", "query", "body", "commands", "message", "description", "template", "code"]);
const EXPRESSION = /\\\{\\\{|\{\{/;
const DURATION = /^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$/i;

/** `schema` with a `$ref` into the root's `$defs` followed. */
function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.split("/").pop() ?? "";
  return ((root.$defs as Record<string, JsonSchema> | undefined)?.[name]) ?? schema;
}

const branchesOf = (schema: JsonSchema): JsonSchema[] =>
  (schema.anyOf ?? (schema.oneOf as JsonSchema[] | undefined) ?? [schema]).filter((b) => b.type !== "null");

const isExpressionBranch = (b: JsonSchema) => b.type === "string" && typeof b.pattern === "string" && EXPRESSION.test(b.pattern);

const isTaskList = (schema: unknown): boolean =>
  typeof schema === "object" && schema !== null && (schema as JsonSchema).type === "array"
  && Boolean((schema as JsonSchema).items?.$ref?.endsWith("/Task"));

function kindOf(name: string, branch: JsonSchema, root: JsonSchema): FieldKind {
  const b = resolve(branch, root);
  if (Array.isArray(b.enum) && b.enum.every((v) => typeof v === "string")) return "enum";
  if (b.type === "string") return b.format === "duration" ? "duration" : LONG_TEXT.has(name) ? "text" : "string";
  if (b.type === "integer") return "integer";
  if (b.type === "number") return "number";
  if (b.type === "boolean") return "boolean";
  if (b.type === "array") {
    const items = b.items ?? {};
    if (items.$ref?.endsWith("/Task")) return "tasks";
    if (items.type === "string") return "list";
  }
  if (b.type === "object" && isTaskList(b.additionalProperties)) return "tasks"; // a Switch's cases
  return "yaml";
}

/** The form fields of a task type's schema: its own properties (required first) then the generic ones. */
export function fieldsOf(schema: JsonSchema): Field[] {
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).map(([name, prop]): Field => {
    const branches = branchesOf(prop);
    const typed = branches.filter((b) => !isExpressionBranch(b));
    const kinds = [...new Set((typed.length ? typed : branches).map((b) => kindOf(name, b, schema)))];
    const enumBranch = typed.map((b) => resolve(b, schema)).find((b) => Array.isArray(b.enum));
    return {
      name, required: required.has(name), generic: GENERIC.has(name), description: prop.description ?? "",
      kinds: kinds.length ? kinds : ["yaml"],
      options: (enumBranch?.enum ?? []).map(String),
      expressions: branches.some(isExpressionBranch),
      default: prop.default,
      schema: prop,
    };
  });
  const rank = (f: Field) => (f.name === "id" ? 0 : f.name === "type" ? 1 : f.generic ? 4 : f.required ? 2 : 3);
  return fields.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
}

/** The task lists of a flowable task (`tasks`, `then`, `else`…, and `cases.<key>` for each case it has): where
 * "Add inside" can put a task. `values`: the task's properties as written. */
export function taskLists(fields: readonly Field[], values: Record<string, unknown> = {}): string[] {
  const lists = fields.filter((f) => f.kinds.includes("tasks")).sort((a, b) => Number(b.required) - Number(a.required));
  return lists.flatMap((f) => {
    const map = branchesOf(f.schema).some((b) => b.type === "object");
    if (!map) return [f.name];
    const written = values[f.name];
    return written && typeof written === "object" && !Array.isArray(written) ? Object.keys(written).map((k) => `${f.name}.${k}`) : [];
  });
}

const isExpression = (value: unknown) => typeof value === "string" && /\{\{|\{%/.test(value);

/** The kind that edits `value` as written: the preferred one unless the value has another shape. */
export function kindFor(field: Field, value: unknown): FieldKind {
  const [first] = field.kinds as [FieldKind];
  if (value === undefined || value === null) return first;
  const has = (k: FieldKind) => field.kinds.includes(k);
  if (Array.isArray(value)) {
    if (has("tasks")) return "tasks";
    return has("list") && value.every((v) => typeof v === "string") ? "list" : "yaml";
  }
  if (typeof value === "object") return "yaml";
  if (typeof value === "boolean") return has("boolean") ? "boolean" : "yaml";
  if (typeof value === "number") return has("integer") ? "integer" : has("number") ? "number" : has("duration") ? "duration" : "yaml";
  if (typeof value === "string") {
    if (first === "enum" && field.options.includes(value)) return "enum";
    if (first === "duration" && !isExpression(value)) return "duration";
    const text = field.kinds.find((k) => k === "string" || k === "text");
    if (text) return value.includes("\n") ? "text" : text;
    return isExpression(value) || first === "enum" || first === "duration" || first === "boolean" || first === "integer" || first === "number" ? "string" : "yaml";
  }
  return first;
}

/** The ways a property can be edited, to choose from when there are several: its kinds, an expression where
 * the schema takes one in place of a choice or a number, and YAML for anything else. */
export function editableKinds(field: Field): FieldKind[] {
  const kinds = field.kinds.filter((k) => k !== "tasks");
  const text = kinds.includes("string") || kinds.includes("text");
  return [...new Set<FieldKind>([...kinds, ...(field.expressions && !text ? ["string" as const] : [])])];
}

/** How a kind is named in the "edit as" choice. */
export const KIND_LABELS: Record<FieldKind, string> = {
  string: "text", text: "text", integer: "number", number: "number", boolean: "true / false", enum: "choice",
  duration: "duration", list: "list", yaml: "YAML", tasks: "tasks",
};

/** The text an input shows for `value` edited as `kind`. */
export function textOf(kind: FieldKind, value: unknown): string {
  if (value === undefined || value === null) return "";
  if (kind === "list" && Array.isArray(value)) return value.join("\n");
  if (kind === "yaml" || kind === "tasks" || typeof value === "object") return stringify(value, { lineWidth: 0 }).replace(/\n$/, "");
  return String(value);
}

export type Parsed = { value: unknown } | { error: string };

/** The YAML value of an input's `text` (undefined: leave the property out), or why it is not acceptable. */
export function parseField(field: Field, kind: FieldKind, text: string): Parsed {
  const trimmed = text.trim();
  if (trimmed === "") return field.required ? { error: `${field.name} is required.` } : { value: undefined };
  if (field.expressions && isExpression(trimmed) && kind !== "yaml" && kind !== "list") return { value: trimmed };
  const s = resolveScalar(field);
  switch (kind) {
    case "string":
    case "text":
      // Text where the schema takes a choice or a number: only as an expression (answered above).
      if (!field.kinds.includes("string") && !field.kinds.includes("text")) return { error: "An expression, such as {{ inputs.name }}." };
      return checkString(field, s, kind === "string" ? trimmed : text);
    case "duration":
      if (DURATION.test(trimmed)) return { value: trimmed.toUpperCase() };
      if (field.kinds.includes("number") && Number.isFinite(Number(trimmed))) return { value: Number(trimmed) };
      return { error: "A duration in ISO 8601, such as PT30S, PT5M or PT1H30M." };
    case "integer":
    case "number": {
      const n = Number(trimmed);
      if (!Number.isFinite(n) || (kind === "integer" && !/^-?\d+$/.test(trimmed))) return { error: kind === "integer" ? "A whole number." : "A number." };
      const min = s.minimum as number | undefined;
      const max = s.maximum as number | undefined;
      if (min !== undefined && n < min) return { error: `At least ${min}.` };
      if (max !== undefined && n > max) return { error: `At most ${max}.` };
      return { value: n };
    }
    case "boolean":
      return trimmed === "true" || trimmed === "false" ? { value: trimmed === "true" } : { error: "true or false." };
    case "enum":
      return field.options.includes(trimmed) ? { value: trimmed } : { error: `One of ${field.options.join(", ")}.` };
    case "list": {
      const items = text.split("\n").map((l) => l.trim()).filter(Boolean);
      const minItems = listSchema(field)?.minItems as number | undefined;
      if (minItems !== undefined && items.length < minItems) return { error: `At least ${minItems} item${minItems > 1 ? "s" : ""}, one per line.` };
      return { value: items };
    }
    default:
      try {
        const value: unknown = parse(text);
        if (value === null && field.required) return { error: `${field.name} is required.` };
        return { value: value ?? undefined };
      } catch (error) {
        return { error: `Not valid YAML: ${(error as Error).message.split("\n")[0]}` };
      }
  }
}

/** The schema branch that carries a scalar's constraints (minimum, pattern…). */
const resolveScalar = (field: Field): JsonSchema =>
  branchesOf(field.schema).find((b) => !isExpressionBranch(b) && b.type !== "array" && b.type !== "object") ?? field.schema;

const listSchema = (field: Field) => branchesOf(field.schema).find((b) => b.type === "array");

function checkString(field: Field, s: JsonSchema, value: string): Parsed {
  const minLength = (s.minLength ?? field.schema.minLength) as number | undefined;
  if (minLength !== undefined && value.length < minLength) return { error: `At least ${minLength} character${minLength > 1 ? "s" : ""}.` };
  if (typeof s.pattern === "string" && !isExpressionBranch(s) && !new RegExp(s.pattern, "u").test(value)) {
    return { error: field.name === "id" ? "Letters, digits, _ and - only, starting with a letter or digit." : `Must match ${s.pattern}.` };
  }
  return { value };
}

/** A valid value to start a new task's required property with, for the form to replace. */
export function placeholderOf(field: Field): unknown {
  if (field.default !== undefined && field.default !== null) return field.default;
  const s = resolveScalar(field);
  switch (field.kinds[0]) {
    case "enum": return field.options[0];
    case "boolean": return false;
    case "integer":
    case "number": return (s.minimum as number | undefined) ?? 0;
    case "duration": return "PT1M";
    case "list": return [`<${field.name}>`];
    case "yaml": return {};
    default: return `<${field.name}>`;
  }
}
