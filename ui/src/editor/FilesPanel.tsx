// Namespace files next to the flow: a folder tree (folders load when opened), a code editor for the open
// file, and create / save / delete through the API's namespace-file routes, offered only to those who may change
// the namespace's files (read-only for the others; nothing for those who may not read them).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { ErrorMessage, Loading } from "../components/Messages";
import { canIn, READ_FILES, useMe, WRITE_FILES } from "../lib/permissions";
import { deleteFile, listFiles, readFile, writeFile, type FileEntry } from "./api";
import { CodeEditor } from "./CodeEditor";
import { languageOf, normalisePath } from "./helpers";
import { monaco } from "./monaco";

const join = (folder: string, name: string) => (folder === "/" ? `/${name}` : `${folder}/${name}`);

function Folder({ namespace, path, open, onOpen, depth }: {
  namespace: string; path: string; open: string | null; onOpen: (path: string) => void; depth: number;
}) {
  const entries = useQuery({ queryKey: ["ns-files", namespace, path], queryFn: () => listFiles(namespace, path) });
  if (entries.isError) return <ErrorMessage error={entries.error} />;
  if (!entries.data) return <Loading what="files" />;
  if (entries.data.length === 0) {
    return <p className="muted">{depth === 0 ? `No file in ${namespace} yet.` : "Empty folder."}</p>;
  }
  return (
    <ul role={depth === 0 ? "tree" : "group"} aria-label={depth === 0 ? `Files of ${namespace}` : undefined} className="file-tree">
      {entries.data.map((entry) => <Entry key={entry.fileName} {...{ namespace, entry, open, onOpen, depth }} folder={path} />)}
    </ul>
  );
}

function Entry({ namespace, folder, entry, open, onOpen, depth }: {
  namespace: string; folder: string; entry: FileEntry; open: string | null; onOpen: (path: string) => void; depth: number;
}) {
  const [expanded, setExpanded] = useState(false);
  const path = join(folder, entry.fileName);
  if (entry.type === "Directory") {
    return (
      <li role="treeitem" aria-expanded={expanded} aria-selected={false}>
        <button type="button" className="link tree-folder" onClick={() => setExpanded(!expanded)}>
          {expanded ? "▾" : "▸"} {entry.fileName}/
        </button>
        {expanded && <Folder namespace={namespace} path={path} open={open} onOpen={onOpen} depth={depth + 1} />}
      </li>
    );
  }
  return (
    <li role="treeitem" aria-selected={open === path}>
      <button type="button" className={`link tree-file${open === path ? " open" : ""}`} onClick={() => onOpen(path)}>
        {entry.fileName}
      </button>
    </li>
  );
}

function OpenFile({ namespace, path, onClosed, mayWrite }: { namespace: string; path: string; onClosed: () => void; mayWrite: boolean }) {
  const client = useQueryClient();
  const content = useQuery({ queryKey: ["ns-file", namespace, path], queryFn: () => readFile(namespace, path), staleTime: 0 });
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const [dirty, setDirty] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const refresh = () => client.invalidateQueries({ queryKey: ["ns-files", namespace] });
  const save = useMutation({
    mutationFn: () => writeFile(namespace, path, editorRef.current?.getValue() ?? ""),
    onSuccess: () => {
      setDirty(false);
      client.setQueryData(["ns-file", namespace, path], editorRef.current?.getValue() ?? "");
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: () => deleteFile(namespace, path),
    onSuccess: () => { refresh(); onClosed(); },
  });
  if (content.isError) return <ErrorMessage error={content.error} />;
  if (content.data === undefined) return <Loading what={path} />;
  return (
    <section className="open-file" aria-label={`File ${path}`}>
      <div className="editor-toolbar">
        <code>{path}</code>
        {!mayWrite && <span className="muted">read-only</span>}
        {dirty ? <span className="muted">modified</span> : save.isSuccess && <span role="status" className="ok">Saved</span>}
        {mayWrite && (
          <button type="button" className="primary" onClick={() => save.mutate()} disabled={save.isPending}
            aria-keyshortcuts="Control+S">Save file</button>
        )}
        {!mayWrite ? null : confirming ? (
          <span role="group" aria-label="Confirm deletion">
            Delete {path}? <button type="button" onClick={() => remove.mutate()}>Delete</button>{" "}
            <button type="button" onClick={() => setConfirming(false)}>Keep</button>
          </span>
        ) : <button type="button" onClick={() => setConfirming(true)}>Delete file</button>}
      </div>
      <CodeEditor
        uri={`file:///namespace-files/${encodeURIComponent(namespace)}${path}`}
        initialValue={content.data}
        language={languageOf(path)}
        ariaLabel={`Content of ${path}`}
        className="code-editor file-editor"
        onReady={(e) => {
          editorRef.current = e;
          if (!mayWrite) {
            e.updateOptions({ readOnly: true });
            return;
          }
          e.addAction({ id: "legato.saveFile", label: "Save file", keybindings: [monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS], run: () => save.mutate() });
        }}
        onChange={() => { if (!dirty) setDirty(true); }}
      />
      {save.isError && <ErrorMessage error={save.error} />}
      {remove.isError && <ErrorMessage error={remove.error} />}
    </section>
  );
}

export function FilesPanel({ namespace }: { namespace: string }) {
  const client = useQueryClient();
  const me = useMe();
  const mayWrite = canIn(me, WRITE_FILES, namespace);
  const [open, setOpen] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [invalid, setInvalid] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: (path: string) => writeFile(namespace, path, ""),
    onSuccess: (_, path) => {
      client.invalidateQueries({ queryKey: ["ns-files", namespace] });
      client.setQueryData(["ns-file", namespace, path], "");
      setName("");
      setOpen(path);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const path = normalisePath(name);
    setInvalid(path ? null : "give a path such as scripts/etl.py (no ..)");
    if (path) create.mutate(path);
  };
  if (!me) return <Loading what="your permissions" />;
  if (!canIn(me, READ_FILES, namespace)) {
    return <p role="alert" className="error">You may not see the files of {namespace}: it needs {READ_FILES} on it.</p>;
  }
  return (
    <div className="files-panel">
      {mayWrite && (
        <form className="new-file" onSubmit={submit} aria-label="New namespace file">
          <label>
            <span className="sr-only">New file path</span>
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="scripts/new.py" aria-invalid={invalid !== null} />
          </label>
          <button type="submit" disabled={create.isPending}>New file</button>
        </form>
      )}
      {invalid && <p className="field-error" role="alert">{invalid}</p>}
      {create.isError && <ErrorMessage error={create.error} />}
      <Folder namespace={namespace} path="/" open={open} onOpen={setOpen} depth={0} />
      {open && <OpenFile key={open} namespace={namespace} path={open} onClosed={() => setOpen(null)} mayWrite={mayWrite} />}
    </div>
  );
}
