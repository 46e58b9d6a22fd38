import { describe, expect, it } from "vitest";
import { titleFor } from "./titles";

describe("titleFor", () => {
  it("names what the page shows, then its section", () => {
    expect(titleFor("/")).toBe("Legato");
    expect(titleFor("/flows")).toBe("Flows · Legato");
    expect(titleFor("/triggers")).toBe("Triggers · Legato");
    expect(titleFor("/flows/new")).toBe("New flow · Flows · Legato");
    expect(titleFor("/flows/tutorial/hello")).toBe("tutorial.hello · Overview · Legato");
    expect(titleFor("/flows/tutorial/hello/executions")).toBe("tutorial.hello · Executions · Legato");
    expect(titleFor("/executions/4fG7xYz1abcdef/gantt")).toBe("Execution 4fG7xYz1 · Gantt · Legato");
    expect(titleFor("/namespaces/tutorial/kv")).toBe("tutorial · KV · Legato");
    expect(titleFor("/plugins/log.Log")).toBe("log.Log · Plugins · Legato");
    expect(titleFor("/nowhere")).toBe("Page not found · Legato");
    expect(titleFor("/login")).toBe("Sign in · Legato");
    expect(titleFor("/assets/trips")).toBe("trips · Assets · Legato");
    expect(titleFor("/admin/service-accounts")).toBe("Service accounts · Administration · Legato");
  });
});
