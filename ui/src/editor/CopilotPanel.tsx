// The AI copilot beside the flow editor: a request in plain words (or, opened from a failed execution, "Fix with
// AI"), the server's proposal shown as a diff against the editor's text, Accept (into the editor, not saved) or
// Reject. The server proposes only a flow that validates; the panel never shows anything else.
import { useMutation } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { fixExecution, generateFlow, type FixProposal, type FlowProposal } from "../api/ai";
import { ErrorMessage } from "../components/Messages";
import { diffLines, diffStats } from "./copilot";

interface Props {
  /** The editor's current text: what a request changes. */
  source: () => string;
  /** The saved flow being edited (absent for a new flow): the proposal keeps its id and namespace. */
  flow?: { namespace: string; id: string };
  /** Opened by "Fix with AI": the failed execution whose flow to fix (asked at once). */
  fixing?: string | null;
  onAccept: (flow: string) => void;
  onClose: () => void;
}

type Proposal = FlowProposal | FixProposal;

export function CopilotPanel({ source, flow, fixing, onAccept, onClose }: Props) {
  const [prompt, setPrompt] = useState("");
  const [proposal, setProposal] = useState<Proposal | null>(null);
  const abort = useRef<AbortController | null>(null);
  const promptId = useId();
  const ask = useMutation({
    mutationFn: ({ text, fix }: { text: string; fix: boolean }) => {
      abort.current?.abort();
      const controller = new AbortController();
      abort.current = controller;
      setProposal(null);
      return fix && fixing
        ? fixExecution(fixing, text || null, controller.signal)
        : generateFlow(text, source().trim() ? source() : null, flow, controller.signal);
    },
    onSuccess: (found) => setProposal(found),
  });
  const askRef = useRef(ask.mutate);
  askRef.current = ask.mutate;

  useEffect(() => {
    if (fixing) askRef.current({ text: "", fix: true });
  }, [fixing]);
  useEffect(() => () => abort.current?.abort(), []);

  const lines = proposal ? diffLines(proposal.diff) : [];
  const stats = diffStats(lines);
  const failed = proposal && "failedTasks" in proposal ? proposal.failedTasks : [];

  return (
    <section className="copilot" aria-labelledby="copilot-title" aria-busy={ask.isPending}>
      <div className="copilot-head">
        <h2 id="copilot-title">AI Copilot</h2>
        <button type="button" className="ghost" onClick={onClose} aria-label="Close the copilot">✕</button>
      </div>
      {fixing && (
        <p className="muted">Fixing the flow from failed execution <code>{fixing}</code>: the copilot reads its failed
          tasks, their errors and log lines.</p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (fixing || prompt.trim()) ask.mutate({ text: prompt.trim(), fix: Boolean(fixing) });
        }}
      >
        <label htmlFor={promptId}>{fixing ? "Anything to add about the failure?" : "What should the flow do, or what should change?"}</label>
        <textarea id={promptId} rows={3} value={prompt} onChange={(e) => setPrompt(e.target.value)}
          placeholder={fixing ? "Optional" : "Download sales.csv every night at 2 and log where it went"}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) e.currentTarget.form?.requestSubmit();
          }} />
        <div className="copilot-actions">
          <button type="submit" className="primary" disabled={ask.isPending || (!fixing && !prompt.trim())}>
            {ask.isPending ? "Asking…" : fixing ? "Ask again" : "Ask"}
          </button>
          {ask.isPending && <span role="status" className="muted">The copilot is writing and checking a flow…</span>}
        </div>
      </form>
      {ask.isError && <ErrorMessage error={ask.error} />}
      {proposal && (
        <div className="copilot-proposal">
          <p role="status" className="ok">
            Valid flow after {proposal.rounds} answer{proposal.rounds === 1 ? "" : "s"}: +{stats.added} −{stats.removed} lines.
          </p>
          {failed.length > 0 && (
            <p className="muted">From what failed: {failed.map((t) => t.taskId).join(", ")}.</p>
          )}
          {lines.length === 0
            ? <p className="muted">The proposal is the flow as it is: nothing to change.</p>
            : (
              <pre className="copilot-diff" tabIndex={0} aria-label="Proposed change">
                {lines.map((line, i) => (
                  <span key={i} className={`diff-${line.kind}`}>{line.text}{"\n"}</span>
                ))}
              </pre>
            )}
          <div className="copilot-actions">
            <button type="button" className="primary" onClick={() => { onAccept(proposal.flow); setProposal(null); }}>
              Accept
            </button>
            <button type="button" onClick={() => { setProposal(null); onClose(); }}>Reject</button>
          </div>
          <p className="muted">Accepted, the flow goes into the editor; it is saved only when you save it.</p>
        </div>
      )}
    </section>
  );
}
