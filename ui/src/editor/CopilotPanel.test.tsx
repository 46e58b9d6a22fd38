import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CopilotPanel } from "./CopilotPanel";

const PROPOSAL = {
  flow: "id: f\nnamespace: ns\ntasks: []\n",
  diff: "--- ns/f.yaml\n+++ ns/f.yaml\n@@ -1,2 +1,3 @@\n id: f\n-namespace: old\n+namespace: ns\n+tasks: []\n",
  rounds: 2,
  types: [],
};

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function reply(status: number, body: unknown) {
  return vi.fn(async () => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } }));
}

function panel(props: Partial<Parameters<typeof CopilotPanel>[0]> = {}) {
  const onAccept = vi.fn();
  const onClose = vi.fn();
  render(
    <QueryClientProvider client={new QueryClient()}>
      <CopilotPanel source={() => "id: f\nnamespace: old\n"} onAccept={onAccept} onClose={onClose} {...props} />
    </QueryClientProvider>,
  );
  return { onAccept, onClose };
}

describe("CopilotPanel", () => {
  it("asks with the editor's text, shows the proposal's diff and accepts it", async () => {
    const fetch = reply(200, PROPOSAL);
    vi.stubGlobal("fetch", fetch);
    const { onAccept } = panel({ flow: { namespace: "ns", id: "f" } });
    const ask = screen.getByRole("button", { name: "Ask" }) as HTMLButtonElement;
    expect(ask.disabled).toBe(true); // nothing asked yet
    fireEvent.change(screen.getByLabelText("What should the flow do, or what should change?"), { target: { value: "add tasks" } });
    fireEvent.click(ask);
    await screen.findByText("Valid flow after 2 answers: +2 −1 lines.");
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/main/ai/generate/flow");
    expect(JSON.parse(init.body as string)).toEqual({ userPrompt: "add tasks", flowYaml: "id: f\nnamespace: old\n",
      namespace: "ns", flowId: "f" });
    const diff = screen.getByLabelText("Proposed change");
    expect(diff.querySelector(".diff-del")?.textContent).toBe("-namespace: old\n");
    expect(diff.querySelectorAll(".diff-add")).toHaveLength(2);
    fireEvent.click(screen.getByRole("button", { name: "Accept" }));
    expect(onAccept).toHaveBeenCalledWith(PROPOSAL.flow);
  });

  it("shows the server's error and no proposal; Reject and ✕ close it", async () => {
    vi.stubGlobal("fetch", reply(502, { message: "the copilot proposes nothing: no valid flow after 3 answer(s)", details: [] }));
    const { onClose, onAccept } = panel();
    fireEvent.change(screen.getByLabelText("What should the flow do, or what should change?"), { target: { value: "x" } });
    fireEvent.click(screen.getByRole("button", { name: "Ask" }));
    await screen.findByText("the copilot proposes nothing: no valid flow after 3 answer(s)");
    expect(screen.queryByRole("button", { name: "Accept" })).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Close the copilot" }));
    expect(onClose).toHaveBeenCalled();
    expect(onAccept).not.toHaveBeenCalled();
  });

  it("asks for a fix at once when opened from a failed execution, and says it is busy meanwhile", async () => {
    let answer: (r: Response) => void = () => undefined;
    const fetch = vi.fn(() => new Promise<Response>((resolve) => { answer = resolve; }));
    vi.stubGlobal("fetch", fetch);
    const { onClose } = panel({ fixing: "exec1" });
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    expect((fetch.mock.calls[0] as unknown as [string])[0]).toBe("/api/v1/main/ai/fix/execution/exec1");
    expect(screen.getByRole("button", { name: "Asking…" })).toBeTruthy();
    expect(screen.getByRole("region", { name: "AI Copilot" }).getAttribute("aria-busy")).toBe("true");
    answer(new Response(JSON.stringify({ ...PROPOSAL, rounds: 1, failedTasks: [{ taskId: "load", taskType: null, error: "boom" }] }),
      { status: 200, headers: { "Content-Type": "application/json" } }));
    await screen.findByText("From what failed: load.");
    await screen.findByText(/^Valid flow after 1 answer:/);
    fireEvent.click(screen.getByRole("button", { name: "Reject" }));
    expect(onClose).toHaveBeenCalled();
  });
});
