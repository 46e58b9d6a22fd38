// Types of the internal Monaco modules the editor uses (see monaco.ts).
declare module "monaco-editor/internal/common/workers.js" {
  import type { editor } from "monaco-editor/editor/editor.api.js";
  export function createWebWorker<T extends object>(options: {
    moduleId?: string;
    label?: string;
    createData?: unknown;
    createWorker?: () => Worker;
    host?: Record<string, unknown>;
    keepIdleModels?: boolean;
  }): editor.MonacoWebWorker<T>;
}

/** Monaco's YAML language definition, loaded lazily when a YAML model first appears. */
declare module "monaco-editor/languages/definitions/yaml/yaml.js" {
  import type { languages } from "monaco-editor/editor/editor.api.js";
  export const conf: languages.LanguageConfiguration;
  export const language: languages.IMonarchLanguage;
}
