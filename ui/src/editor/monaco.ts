// Monaco, set up once for Legato: the editor API with its features, YAML highlighting, both web workers
// bundled by Vite (no CDN), monaco-yaml driven by the API's flow JSON Schema, and light/dark themes that
// follow the app. Only the editor's lazy chunks import this module, so the rest of the UI never loads Monaco.
import "monaco-editor/features/register.all.js";
import "monaco-editor/languages/definitions/yaml/register.js";
// Highlighting for namespace files (each tokenizer loads when a file of its language opens).
import "monaco-editor/languages/definitions/python/register.js";
import "monaco-editor/languages/definitions/shell/register.js";
import "monaco-editor/languages/definitions/sql/register.js";
import "monaco-editor/languages/definitions/markdown/register.js";
import "monaco-editor/languages/definitions/javascript/register.js";
import "monaco-editor/languages/definitions/typescript/register.js";
import "monaco-editor/languages/definitions/ini/register.js";
import "monaco-editor/languages/definitions/r/register.js";
import "monaco-editor/languages/definitions/ruby/register.js";
import * as monaco from "monaco-editor/editor/editor.api.js";
import EditorWorker from "monaco-editor/editor/editor.worker.js?worker";
// Monaco 0.57 moved the "label + createData" worker API that monaco-yaml uses out of monaco.editor.
import { createWebWorker } from "monaco-editor/internal/common/workers.js";
import { configureMonacoYaml } from "monaco-yaml";
import { API } from "../api/client";
import { flowSchema, type JsonSchema } from "./api";
import { typeNames, typeSlot, type TypeNames } from "./typeCompletion";
import YamlWorker from "./yaml.worker.ts?worker";

export { monaco };
export type Monaco = typeof monaco;

self.MonacoEnvironment = {
  getWorker: (_id: string, label: string) => (label === "yaml" ? new YamlWorker() : new EditorWorker()),
};

/** Flow sources are models directly in this folder (`<namespace>.<id>.yaml`): the schema applies to them only. */
export const FLOW_FOLDER = "file:///legato-flows/";
const SCHEMA_URI = `${location.origin}${API}/plugins/schemas/flow`;

/** The API's schema made digestible for yaml-language-server (which reads draft-07 keywords). */
export function forYamlLanguageServer(schema: JsonSchema): JsonSchema {
  // Without $schema (2020-12, which it would not recognise) and $id (it would try to fetch it).
  const copy = { ...schema };
  delete copy.$schema;
  delete copy.$id;
  return copy;
}

let schemaLoaded: Promise<void> | null = null;

/** Flow models (by URI) whose text the server last found not to be YAML: monaco-yaml completes nothing there. */
export const brokenYaml = new Set<string>();

/** While a flow's YAML is broken, its `type:` values still complete, from the schema's lists. */
function registerTypeFallback(names: TypeNames): void {
  monaco.languages.registerCompletionItemProvider("yaml", {
    triggerCharacters: [" ", "."],
    provideCompletionItems(model, position) {
      if (!brokenYaml.has(model.uri.toString())) return { suggestions: [] };
      const lines = model.getLinesContent().slice(0, position.lineNumber);
      lines[lines.length - 1] = (lines.at(-1) ?? "").slice(0, position.column - 1);
      const slot = typeSlot(lines);
      if (!slot) return { suggestions: [] };
      const range = new monaco.Range(position.lineNumber, slot.startColumn, position.lineNumber, position.column);
      return {
        suggestions: names[slot.kind].map((name) => ({
          label: name, kind: monaco.languages.CompletionItemKind.Class, insertText: name, range,
          detail: slot.kind === "tasks" ? "task type" : "trigger type",
        })),
      };
    },
  });
}

/**
 * Configure monaco-yaml with the flow schema, fetched once per page (the YAML worker starts with it, so the
 * first completion already knows every task type). Resolves when it is in place.
 */
export function ensureFlowSchema(): Promise<void> {
  schemaLoaded ??= flowSchema().then((schema) => {
    // monaco-yaml (through monaco-worker-manager) calls monaco.editor.createWebWorker({label, moduleId,
    // createData}), the pre-0.57 signature; Monaco keeps that behaviour in internal/common/workers.js.
    const legacy = { ...monaco, editor: { ...monaco.editor, createWebWorker } } as unknown as Monaco;
    configureMonacoYaml(legacy, {
      enableSchemaRequest: false,
      hover: true,
      completion: true,
      // Problems come from the server (the same checks as `legato flow validate`), shown by the editor.
      validate: false,
      format: { enable: false },
      schemas: [{ uri: SCHEMA_URI, fileMatch: ["legato-flows/*.yaml"], schema: forYamlLanguageServer(schema) }],
    });
    registerTypeFallback(typeNames(schema));
  }, (error) => {
    schemaLoaded = null; // try again with the next editor
    throw error;
  });
  return schemaLoaded;
}

/**
 * Enter in YAML: after a list item holding a key (`- id: x`) the next line lines up under that key, not under
 * the dash; after a key that opens a block (`tasks:`, `- then:`) it indents one level more.
 */
export const YAML_ON_ENTER: monaco.languages.OnEnterRule[] = [
  { beforeText: /^\s*- [^\s#][^#]*:\s*$/, action: { indentAction: monaco.languages.IndentAction.Indent, appendText: "  " } },
  { beforeText: /^\s*- [^\s#"'][^:#]*:\s+\S/, action: { indentAction: monaco.languages.IndentAction.None, appendText: "  " } },
  { beforeText: /:\s*$/, action: { indentAction: monaco.languages.IndentAction.Indent } },
];

// Monaco's YAML support sets its own configuration once the language is first used (after a lazy import):
// ours is set after it (a macrotask later), and the configurations merge field by field.
monaco.languages.onLanguageEncountered("yaml", async () => {
  await import("monaco-editor/languages/definitions/yaml/yaml.js");
  await new Promise((resolve) => setTimeout(resolve, 0));
  monaco.languages.setLanguageConfiguration("yaml", { onEnterRules: YAML_ON_ENTER });
});

// Monaco's own themes with line numbers readable at WCAG AA contrast (4.5:1; Monaco's greys are near 1.8:1), and
// in the dark one YAML comments too (its green #608b4e is 4.2:1 on #1e1e1e; #6a9955 is 5.0:1).
monaco.editor.defineTheme("legato-light", {
  base: "vs", inherit: true, rules: [],
  colors: { "editorLineNumber.foreground": "#5f6a72", "editorLineNumber.dimmedForeground": "#5f6a72" },
});
monaco.editor.defineTheme("legato-dark", {
  base: "vs-dark", inherit: true, rules: [{ token: "comment", foreground: "6a9955" }],
  colors: { "editorLineNumber.foreground": "#a0a4a8", "editorLineNumber.dimmedForeground": "#a0a4a8" },
});

/** Monaco's theme for the app's theme. */
export const monacoTheme = (dark: boolean) => (dark ? "legato-dark" : "legato-light");
