import { describe, expect, it } from "vitest";
import type { Me } from "../api/iam";
import { adminSections, canIn, canOnInstance, canSomewhere, mayOpen, openMode, READ_FILES, safeNext, WRITE_FILES } from "./permissions";

const viewer: Me = {
  id: "u1", username: "vic", kind: "USER", owner: false,
  permissions: [
    { permission: "FLOW:VIEW", namespaces: null },
    { permission: "SECRET:CREATE", namespaces: ["dev"] },
    { permission: "USER:LIST", namespaces: ["dev"] },
  ],
  tenant: "main", tenants: [{ id: "main", name: "Main" }],
};

describe("permissions from /api/v1/me", () => {
  it("scopes a namespace grant to the namespace and its children, by exact prefix", () => {
    expect(canIn(viewer, "SECRET:CREATE", "dev")).toBe(true);
    expect(canIn(viewer, "SECRET:CREATE", "dev.team")).toBe(true);
    expect(canIn(viewer, "SECRET:CREATE", "development")).toBe(false);
    expect(canIn(viewer, "SECRET:DELETE", "dev")).toBe(false);
    expect(canIn(viewer, "FLOW:VIEW", "anything")).toBe(true);
  });

  it("needs a grant everywhere for the instance's sections", () => {
    expect(canOnInstance(viewer, "USER:LIST")).toBe(false);
    expect(canSomewhere(viewer, "USER:LIST")).toBe(true);
    expect(adminSections(viewer)).toEqual([]);
    const admin: Me = { ...viewer, permissions: [{ permission: "ROLE:LIST", namespaces: null }] };
    expect(adminSections(admin).map((s) => s.label)).toEqual(["Roles"]);
  });

  it("names the namespace-files permissions as the API's table does, scoped by exact prefix", () => {
    expect([READ_FILES, WRITE_FILES]).toEqual(["NAMESPACE:ACCESS_FILES", "NAMESPACE:MANAGE_FILES"]);
    const reader: Me = { ...viewer, permissions: [{ permission: READ_FILES, namespaces: ["dev"] }] };
    expect(canIn(reader, READ_FILES, "dev.team")).toBe(true);
    expect(canIn(reader, WRITE_FILES, "dev")).toBe(false);
    expect(canIn(reader, READ_FILES, "development")).toBe(false);
  });

  it("shows SCIM integrations to who may list service accounts on the instance", () => {
    const manager: Me = { ...viewer, permissions: [{ permission: "SERVICE_ACCOUNT:LIST", namespaces: null }] };
    expect(adminSections(manager).map((s) => s.path)).toEqual(["service-accounts", "integrations"]);
  });

  it("shows tenants to who may list them on the instance", () => {
    const manager: Me = { ...viewer, permissions: [{ permission: "TENANT:LIST", namespaces: null }] };
    expect(adminSections(manager).map((s) => s.path)).toEqual(["tenants"]);
  });

  it("gives the owner and open mode everything, and nothing before /me answers", () => {
    const anonymous: Me = {
      id: null, username: "anonymous", kind: "ANONYMOUS", owner: true, permissions: [], tenant: "acme", tenants: [],
    };
    expect(openMode(anonymous)).toBe(true);
    expect(canOnInstance(anonymous, "USER:CREATE")).toBe(true);
    expect(adminSections(anonymous)).toHaveLength(7);
    expect(openMode(viewer)).toBe(false);
    expect(canIn(undefined, "FLOW:VIEW", "dev")).toBe(false);
  });

  it("opens a tenant to the owner and to accounts bound there only", () => {
    expect(mayOpen(viewer)).toBe(true);
    expect(mayOpen({ ...viewer, tenant: "acme" })).toBe(false);
    expect(mayOpen({ ...viewer, tenant: "acme", tenants: [{ id: "acme", name: "Acme" }] })).toBe(true);
    expect(mayOpen({ ...viewer, owner: true, tenant: "acme" })).toBe(true);
  });
});

describe("safeNext", () => {
  it("returns to a page of the UI, never elsewhere", () => {
    expect(safeNext("/ui/flows?q=a")).toBe("/ui/flows?q=a");
    expect(safeNext(null)).toBe("/ui/");
    expect(safeNext("https://evil.example/")).toBe("/ui/");
    expect(safeNext("//evil.example/ui/")).toBe("/ui/");
    expect(safeNext("/ui/\\evil")).toBe("/ui/");
    expect(safeNext("/api/v1/me")).toBe("/ui/");
  });
});
