// Types of the one internal Monaco module the editor uses (see monaco.ts).
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
