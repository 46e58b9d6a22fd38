import { describe, expect, it } from "vitest";
import { MAIN, tenantOf, uiPath } from "./tenant";

describe("the tenant of a UI address", () => {
  it("reads un-prefixed pages as main's", () => {
    expect(tenantOf("/ui/")).toEqual({ tenant: MAIN, explicit: false, basename: "/ui" });
    expect(tenantOf("/ui/flows/company/hello")).toEqual({ tenant: MAIN, explicit: false, basename: "/ui" });
    expect(tenantOf("/ui/login").tenant).toBe(MAIN);
    expect(tenantOf("/ui/_build/index.js").explicit).toBe(false);
  });

  it("reads any other first segment as a tenant, main included", () => {
    expect(tenantOf("/ui/acme/flows")).toEqual({ tenant: "acme", explicit: true, basename: "/ui/acme" });
    expect(tenantOf("/ui/acme")).toEqual({ tenant: "acme", explicit: true, basename: "/ui/acme" });
    expect(tenantOf("/ui/main/executions/x")).toEqual({ tenant: MAIN, explicit: true, basename: "/ui/main" });
  });

  it("builds addresses that keep main's un-prefixed form", () => {
    expect(uiPath(MAIN)).toBe("/ui/");
    expect(uiPath("acme")).toBe("/ui/acme/");
    expect(uiPath("acme", "/flows")).toBe("/ui/acme/flows");
  });
});
