// Monaco's diff editor between two texts, read-only, side by side or unified (inline).
import { useEffect, useRef } from "react";
import { monaco, monacoTheme } from "./monaco";
import { useDarkTheme } from "./useDarkTheme";

interface Props {
  original: string;
  modified: string;
  sideBySide: boolean;
  ariaLabel: string;
}

export function DiffView({ original, modified, sideBySide, ariaLabel }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const diff = useRef<monaco.editor.IStandaloneDiffEditor | null>(null);
  const dark = useDarkTheme();

  useEffect(() => {
    const editor = monaco.editor.createDiffEditor(host.current!, {
      readOnly: true,
      originalEditable: false,
      automaticLayout: true,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      ariaLabel,
      renderSideBySide: sideBySide,
      useInlineViewWhenSpaceIsLimited: false,
      editContext: false, // the labelled textarea input, as in CodeEditor (the EditContext one has no name)
    });
    diff.current = editor;
    return () => {
      const models = editor.getModel();
      editor.dispose();
      models?.original.dispose();
      models?.modified.dispose();
      diff.current = null;
    };
    // Created once; the effects below apply later changes.
  }, []);

  useEffect(() => {
    const editor = diff.current!;
    const old = editor.getModel();
    editor.setModel({
      original: monaco.editor.createModel(original, "yaml"),
      modified: monaco.editor.createModel(modified, "yaml"),
    });
    old?.original.dispose();
    old?.modified.dispose();
  }, [original, modified]);

  useEffect(() => {
    const editor = diff.current!;
    editor.updateOptions({ renderSideBySide: sideBySide });
    // Any option change of the diff editor resets its two inner editors' names: give them back.
    editor.getOriginalEditor().updateOptions({ ariaLabel: `${ariaLabel}: original` });
    editor.getModifiedEditor().updateOptions({ ariaLabel: `${ariaLabel}: modified` });
  }, [sideBySide, ariaLabel]);
  useEffect(() => monaco.editor.setTheme(monacoTheme(dark)), [dark]);

  return <div ref={host} className="code-editor diff-view" role="region" aria-label={ariaLabel} />;
}
