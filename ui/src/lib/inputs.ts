// From a flow's `inputs:` to form fields, and from what the user typed to the multipart body the API takes.
import type { FlowInput } from "../api/models";

export type FieldKind =
  | "text" | "password" | "email" | "url" | "number" | "checkbox" | "select" | "multiselect"
  | "date" | "datetime-local" | "time" | "textarea" | "file";

export interface Field {
  id: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  /** Initial value: string for most kinds, boolean for checkbox, string[] for multiselect, null for file. */
  initial: FieldValue;
  description: string | null;
  options: string[];
  /** For number fields: "1" for INT, "any" for FLOAT. */
  step?: string;
  min?: string;
  max?: string;
  /** A text field's regular expression (the flow's `validator`): the whole value must match it. */
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  /** What the input type expects, shown as a hint (DURATION, JSON, ...). */
  hint: string | null;
}

export type FieldValue = string | boolean | string[] | File | null;
export type FormValues = Record<string, FieldValue>;

const KINDS: Record<string, FieldKind> = {
  STRING: "text", SECRET: "password", EMAIL: "email", URI: "url",
  INT: "number", FLOAT: "number", BOOL: "checkbox", BOOLEAN: "checkbox",
  SELECT: "select", ENUM: "select", MULTISELECT: "multiselect",
  DATE: "date", DATETIME: "datetime-local", TIME: "time",
  JSON: "textarea", YAML: "textarea", ARRAY: "textarea", FILE: "file", DURATION: "text",
};

const HINTS: Record<string, string> = {
  DURATION: "ISO-8601 duration, e.g. PT5M",
  JSON: "JSON value",
  YAML: "YAML document",
  ARRAY: "JSON array, e.g. [1, 2]",
  DATETIME: "local time; sent as UTC",
};

/** A default that is an expression (`{{ ... }}`) is the server's to render: leave the field empty. */
function literal(value: unknown): unknown {
  return typeof value === "string" && value.includes("{{") ? undefined : value;
}

function initialValue(input: FlowInput, kind: FieldKind): FieldValue {
  const value = literal(input.defaults);
  switch (kind) {
    case "checkbox":
      return value === true || value === "true";
    case "multiselect":
      return Array.isArray(value) ? value.map(String) : [];
    case "file":
      return null;
    case "textarea":
      if (value === undefined || value === null) return "";
      return typeof value === "string" ? value : JSON.stringify(value, null, 2);
    case "datetime-local":
      return typeof value === "string" ? toLocalInput(value) : "";
    default:
      return value === undefined || value === null ? "" : String(value);
  }
}

/** "2024-05-01T10:00:00Z" as the value of an <input type="datetime-local"> in the browser's zone. */
export function toLocalInput(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The form fields for a flow's inputs, in their declared order. Unknown types fall back to a text box. */
export function fieldsFor(inputs: FlowInput[] | undefined): Field[] {
  return (inputs ?? []).map((input) => {
    const type = input.type.toUpperCase();
    const kind = KINDS[type] ?? "text";
    const hasDefault = input.defaults !== undefined && input.defaults !== null;
    return {
      id: input.id,
      label: input.displayName || input.id,
      kind,
      // Kestra's rule: required unless said otherwise; a default satisfies it. A checkbox always has a value.
      required: (input.required ?? true) && !hasDefault && kind !== "checkbox",
      initial: initialValue(input, kind),
      description: input.description ?? null,
      options: (input.values ?? []).map(String),
      step: type === "INT" ? "1" : type === "FLOAT" ? "any" : undefined,
      min: input.min != null ? String(input.min) : undefined,
      max: input.max != null ? String(input.max) : undefined,
      pattern: input.validator ?? undefined,
      minLength: input.minLength ?? undefined,
      maxLength: input.maxLength ?? undefined,
      hint: HINTS[type] ?? null,
    };
  });
}

export const initialValues = (fields: Field[]): FormValues =>
  Object.fromEntries(fields.map((f) => [f.id, f.initial]));

function isEmpty(value: FieldValue): boolean {
  return value === null || value === "" || (Array.isArray(value) && value.length === 0);
}

/** Whether `value` matches the whole of `pattern` (a flow's `validator`); true when the browser cannot read the
 * pattern (a Java-only construct): the server checks it then. */
function matches(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`, "u").test(value);
  } catch {
    return true;
  }
}

/** The problem of a number field's value, checked as the flow checks it (a number, whole for INT, within min
 * and max). */
function numberProblem(field: Field, value: string): string | null {
  const number = Number(value);
  if (value.trim() === "" || Number.isNaN(number)) return `${field.label} must be a number`;
  if (field.step === "1" && !Number.isInteger(number)) return `${field.label} must be a whole number`;
  if (field.min !== undefined && number < Number(field.min)) return `${field.label} must be at least ${field.min}`;
  if (field.max !== undefined && number > Number(field.max)) return `${field.label} must be at most ${field.max}`;
  return null;
}

/** Problems the browser can see before asking the server, checked as the flow checks its inputs: missing
 * required values, malformed numbers/JSON, numbers out of min/max, text not matching the validator, a value not
 * among a select's values. The server checks all of it again (and names a bad input in its 422). */
export function validate(fields: Field[], values: FormValues): Record<string, string> {
  const errors: Record<string, string> = {};
  const put = (field: Field, problem: string | null) => { if (problem && !errors[field.id]) errors[field.id] = problem; };
  for (const field of fields) {
    const value = values[field.id] ?? null;
    if (isEmpty(value)) {
      if (field.required) errors[field.id] = `${field.label} is required`;
      continue;
    }
    if (field.kind === "number" && typeof value === "string") put(field, numberProblem(field, value));
    if (field.pattern && typeof value === "string" && !matches(field.pattern, value)) {
      put(field, `${field.label} must match ${field.pattern}`);
    }
    if (typeof value === "string" && field.minLength != null && value.length < field.minLength) {
      put(field, `${field.label} must be at least ${field.minLength} characters`);
    }
    if (typeof value === "string" && field.maxLength != null && value.length > field.maxLength) {
      put(field, `${field.label} must be at most ${field.maxLength} characters`);
    }
    if (field.kind === "select" && typeof value === "string" && field.options.length > 0 && !field.options.includes(value)) {
      put(field, `${field.label} must be one of ${field.options.join(", ")}`);
    }
    if (field.kind === "multiselect" && Array.isArray(value) && field.options.length > 0) {
      const unknown = value.filter((v) => !field.options.includes(v));
      if (unknown.length > 0) put(field, `${field.label}: ${unknown.join(", ")} is not one of ${field.options.join(", ")}`);
    }
    if (field.kind === "textarea" && field.hint?.startsWith("JSON") && typeof value === "string") {
      try {
        JSON.parse(value);
      } catch {
        put(field, `${field.label} must be valid JSON`);
      }
    }
  }
  return errors;
}

/** The multipart body of POST /executions/{namespace}/{id}. Empty optional values are left out so the
 * flow's defaults apply. */
export function toFormData(fields: Field[], values: FormValues): FormData {
  const data = new FormData();
  for (const field of fields) {
    const value = values[field.id] ?? null;
    if (field.kind === "checkbox") {
      data.append(field.id, value === true ? "true" : "false");
    } else if (isEmpty(value)) {
      continue;
    } else if (value instanceof File) {
      data.append(field.id, value, value.name);
    } else if (Array.isArray(value)) {
      data.append(field.id, JSON.stringify(value));
    } else if (field.kind === "datetime-local" && typeof value === "string") {
      data.append(field.id, new Date(value).toISOString());
    } else {
      data.append(field.id, String(value));
    }
  }
  return data;
}
