import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import {
  createNamespaceFolder, deleteNamespaceFile, moveNamespaceFile, namespaceDirectory, namespaceFileUrl, uploadNamespaceFile,
  type NamespaceFile,
} from "../api/operations";
import { readFile, writeFile } from "../editor/api";
import { normalisePath } from "../editor/helpers";
import { canIn, READ_FILES, useMe, WRITE_FILES } from "../lib/permissions";
import { ConfirmButton } from "./admin/common";
import { ErrorMessage, Loading } from "./Messages";
import { When } from "./When";

const join = (folder: string, name: string) => `${folder.replace(/\/$/, "")}/${name}`;

/** The Files tab of a namespace: a folder at a time; upload, new file, new folder, edit (text), rename and delete
 * for those who may change the files (NAMESPACE:MANAGE_FILES on the namespace or a parent). */
export function NamespaceFiles({ namespace }: { namespace: string }) {
  const me = useMe();
  const [params, setParams] = useSearchParams();
  const path = params.get("path") || "/";
  const mayRead = canIn(me, READ_FILES, namespace);
  const listing = useQuery({ queryKey: ["nsfiles", namespace, path], queryFn: () => namespaceDirectory(namespace, path), enabled: mayRead });
  if (!me) return <Loading what="your permissions" />;
  if (!mayRead) {
    return <p role="alert" className="error">You may not see the files of {namespace}: it needs {READ_FILES} on it.</p>;
  }
  const mayWrite = canIn(me, WRITE_FILES, namespace);
  const go = (p: string) => setParams(p === "/" ? {} : { path: p }, { replace: false });
  const parent = path === "/" ? null : path.replace(/\/[^/]+\/?$/, "") || "/";
  return (
    <>
      <p>Folder <code>{path}</code>{parent !== null && <> · <button type="button" className="link" onClick={() => go(parent)}>Up</button></>}</p>
      {mayWrite && <FileActions key={path} namespace={namespace} folder={path} />}
      {listing.isError && <ErrorMessage error={listing.error} />}
      {listing.isPending && <Loading what="files" />}
      {listing.data && (
        <table className="list">
          <caption className="sr-only">Files of {namespace} in {path}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th><th scope="col">Size</th><th scope="col">Modified</th>
              {mayWrite && <th scope="col"><span className="sr-only">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {listing.data.map((f) => <FileRow key={f.fileName} {...{ namespace, folder: path, file: f, mayWrite, go }} />)}
            {listing.data.length === 0 && (
              <tr><td colSpan={mayWrite ? 4 : 3} className="muted">No file here.{mayWrite ? " Upload one, or edit namespace files from a flow's editor." : ""}</td></tr>
            )}
          </tbody>
        </table>
      )}
    </>
  );
}

function useRefresh(namespace: string) {
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: ["nsfiles", namespace] });
    void client.invalidateQueries({ queryKey: ["ns-files", namespace] });  // the editor's files panel
  };
}

/** Upload a file and make a folder, in the folder shown. */
function FileActions({ namespace, folder }: { namespace: string; folder: string }) {
  const refresh = useRefresh(namespace);
  const [file, setFile] = useState<File | null>(null);
  const [inputKey, setInputKey] = useState(0);
  const [name, setName] = useState("");
  const [invalid, setInvalid] = useState<string | null>(null);
  const upload = useMutation({
    mutationFn: (f: File) => uploadNamespaceFile(namespace, join(folder, f.name), f),
    onSuccess: () => { setFile(null); setInputKey((k) => k + 1); refresh(); },
  });
  const mkdir = useMutation({
    mutationFn: (p: string) => createNamespaceFolder(namespace, p),
    onSuccess: () => { setName(""); refresh(); },
  });
  const [fileName, setFileName] = useState("");
  const [editing, setEditing] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: async (p: string) => {
      const existing = await namespaceDirectory(namespace, folder);
      if (existing.some((f) => join(folder, f.fileName) === p)) throw new Error(`${p} exists already: edit it instead`);
      await writeFile(namespace, p, "");
      return p;
    },
    onSuccess: (p) => { setFileName(""); refresh(); setEditing(p); },
  });
  const submitFolder = (e: FormEvent) => {
    e.preventDefault();
    const target = normalisePath(join(folder, name));
    setInvalid(target ? null : "give a folder name such as scripts (no ..)");
    if (target) mkdir.mutate(target);
  };
  const submitFile = (e: FormEvent) => {
    e.preventDefault();
    const target = normalisePath(join(folder, fileName));
    setInvalid(target ? null : "give a file name such as etl.py (no ..)");
    if (target) create.mutate(target);
  };
  return (
    <div className="actions">
      <form className="filters" aria-label="Upload a file" onSubmit={(e) => { e.preventDefault(); if (file) upload.mutate(file); }}>
        <label className="field">File to upload<input key={inputKey} type="file" required onChange={(e) => setFile(e.target.files?.[0] ?? null)} /></label>
        <div className="filter-buttons"><button type="submit" className="primary" disabled={!file || upload.isPending}>Upload</button></div>
      </form>
      <form className="filters" aria-label="New file" onSubmit={submitFile}>
        <label className="field">File name<input value={fileName} onChange={(e) => setFileName(e.target.value)} required maxLength={255} /></label>
        <div className="filter-buttons"><button type="submit" disabled={create.isPending}>Create file</button></div>
      </form>
      <form className="filters" aria-label="New folder" onSubmit={submitFolder}>
        <label className="field">Folder name<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} aria-invalid={invalid !== null} /></label>
        <div className="filter-buttons"><button type="submit" disabled={mkdir.isPending}>Create folder</button></div>
      </form>
      {invalid && <p className="field-error" role="alert">{invalid}</p>}
      {upload.isError && <ErrorMessage error={upload.error} />}
      {mkdir.isError && <ErrorMessage error={mkdir.error} />}
      {create.isError && <ErrorMessage error={create.error} />}
      {editing && <FileEditor key={editing} namespace={namespace} path={editing} onClose={() => setEditing(null)} />}
    </div>
  );
}

function FileRow({ namespace, folder, file, mayWrite, go }: {
  namespace: string; folder: string; file: NamespaceFile; mayWrite: boolean; go: (path: string) => void;
}) {
  const refresh = useRefresh(namespace);
  const path = join(folder, file.fileName);
  const [renaming, setRenaming] = useState(false);
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(file.fileName);
  const move = useMutation({
    mutationFn: (to: string) => moveNamespaceFile(namespace, path, to),
    onSuccess: () => { setRenaming(false); refresh(); },
  });
  const remove = useMutation({ mutationFn: () => deleteNamespaceFile(namespace, path), onSuccess: refresh });
  const target = normalisePath(join(folder, name));
  return (
    <>
    <tr data-file={file.fileName}>
      <td>{file.type === "Directory"
        ? <button type="button" className="link" onClick={() => go(path)}>{file.fileName}/</button>
        : <a href={namespaceFileUrl(namespace, path)} download={file.fileName}>{file.fileName}</a>}</td>
      <td>{file.type === "Directory" ? "—" : `${file.size} B`}</td>
      <td><When iso={file.lastModifiedTime} /></td>
      {mayWrite && (
        <td>
          {renaming ? (
            <form className="inline-form" aria-label={`Rename ${file.fileName}`} onSubmit={(e) => { e.preventDefault(); if (target) move.mutate(target); }}>
              <label><span className="sr-only">New name of {file.fileName}</span>
                <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={1024} aria-invalid={target === null} />
              </label>{" "}
              <button type="submit" className="primary" disabled={target === null || move.isPending}>Save name</button>{" "}
              <button type="button" onClick={() => { setRenaming(false); setName(file.fileName); }}>Cancel</button>
            </form>
          ) : (
            <>
              {file.type === "File" && <><button type="button" aria-label={`Edit ${file.fileName}`} onClick={() => setEditing(true)}>Edit</button>{" "}</>}
              <button type="button" aria-label={`Rename ${file.fileName}`} onClick={() => setRenaming(true)}>Rename</button>{" "}
              <ConfirmButton label="Delete" what={file.fileName} onConfirm={() => remove.mutate()} disabled={remove.isPending} />
            </>
          )}
          {move.isError && <ErrorMessage error={move.error} />}
          {remove.isError && <ErrorMessage error={remove.error} />}
        </td>
      )}
    </tr>
    {editing && (
      <tr><td colSpan={4}><FileEditor namespace={namespace} path={path} onClose={() => setEditing(false)} /></td></tr>
    )}
    </>
  );
}

/** A text file's content in a text area, saved in place (the flow editor's Files panel edits in Monaco). */
function FileEditor({ namespace, path, onClose }: { namespace: string; path: string; onClose: () => void }) {
  const refresh = useRefresh(namespace);
  const content = useQuery({ queryKey: ["nsfile", namespace, path], queryFn: () => readFile(namespace, path), gcTime: 0 });
  const [text, setText] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: () => writeFile(namespace, path, text ?? content.data ?? ""),
    onSuccess: () => { setSaved(true); refresh(); },
  });
  if (content.isError) return <ErrorMessage error={content.error} />;
  if (content.isPending) return <Loading what={path} />;
  return (
    <form className="card file-editor" aria-label={`Edit ${path}`} onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <label className="field">Content of {path}
        <textarea rows={12} spellCheck={false} value={text ?? content.data}
          onChange={(e) => { setText(e.target.value); setSaved(false); }} />
      </label>
      {save.isError && <ErrorMessage error={save.error} />}
      {saved && <p role="status" className="ok">Saved {path}.</p>}
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>Close</button>
        <button type="submit" className="primary" disabled={save.isPending}>Save file</button>
      </div>
    </form>
  );
}
