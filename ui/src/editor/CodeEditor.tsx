// A Monaco code editor bound to one model. The text lives in the model, not in React state: the parent
// reads it through the `onReady` editor and listens with `onChange` (called per edit, so it must be cheap).
import { useEffect, useRef } from "react";
import { useSettings } from "../lib/settings";
import { monaco, monacoTheme } from "./monaco";
import { useDarkTheme } from "./useDarkTheme";

export interface CodeEditorProps {
  /** Model URI (it selects the schema: see FLOW_FOLDER); a mount replaces any model left at that URI. */
  uri: string;
  initialValue: string;
  language?: string;
  ariaLabel: string;
  onReady?: (editor: monaco.editor.IStandaloneCodeEditor) => void;
  onChange?: () => void;
  className?: string;
}

export function CodeEditor({ uri, initialValue, language = "yaml", ariaLabel, onReady, onChange, className }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const dark = useDarkTheme();
  const { editorFontSize } = useSettings();
  const instance = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const callbacks = useRef({ onReady, onChange });
  callbacks.current = { onReady, onChange };

  useEffect(() => {
    const parsed = monaco.Uri.parse(uri);
    const existing = monaco.editor.getModel(parsed);
    if (existing) existing.dispose(); // a fresh mount starts from initialValue
    const model = monaco.editor.createModel(initialValue, language, parsed);
    const editor = monaco.editor.create(host.current!, {
      model,
      ariaLabel,
      fontSize: editorFontSize,
      automaticLayout: true,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      tabSize: 2,
      insertSpaces: true,
      renderWhitespace: "boundary",
      fixedOverflowWidgets: true,
      // The plain textarea input path: screen readers and test drivers type into it reliably.
      editContext: false,
      quickSuggestions: { other: true, comments: false, strings: true },
    });
    instance.current = editor;
    const listener = model.onDidChangeContent(() => callbacks.current.onChange?.());
    callbacks.current.onReady?.(editor);
    return () => {
      listener.dispose();
      editor.dispose();
      model.dispose();
    };
    // The model is created once per URI; later initialValue changes are the parent's to apply.
  }, [uri]);

  useEffect(() => monaco.editor.setTheme(monacoTheme(dark)), [dark]);
  useEffect(() => instance.current?.updateOptions({ fontSize: editorFontSize }), [editorFontSize]);

  return <div ref={host} className={className ?? "code-editor"} />;
}
