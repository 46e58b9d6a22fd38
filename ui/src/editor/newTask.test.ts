import { describe, expect, it } from "vitest";
import type { PluginSummary } from "../api/operations";
import { freeId, newTask, search, writtenType } from "./newTask";

const plugin = (cls: string, aliases: string[], title: string): PluginSummary => ({ cls, aliases, title, kind: "task", flowable: false });
const LOG = plugin("log.Log", ["io.kestra.plugin.core.log.Log", "io.kestra.core.tasks.log.Log"], "Log one or more messages at a given level.");
const FETCH = plugin("log.Fetch", ["io.kestra.plugin.core.log.Fetch"], "Write the logs of an execution to a file.");
const SSH = plugin("fs.ssh.Command", ["io.kestra.plugin.fs.ssh.Command"], "Run commands on a remote host, logging in with a password.");
const OWN = plugin("acme.Thing", [], "A third-party type with no Kestra name.");

describe("newTask", () => {
  it("fills each required property with a placeholder; a required task list with one Log", () => {
    const schema = {
      required: ["id", "type", "condition", "then"],
      properties: {
        id: { type: "string" }, type: { type: "string" }, condition: { anyOf: [{ type: "string" }, { type: "boolean" }] },
        then: { type: "array", items: { $ref: "#/$defs/Task" }, minItems: 1 }, else: { type: "array", items: { $ref: "#/$defs/Task" } },
      },
    };
    expect(newTask("check", "io.kestra.plugin.core.flow.If", schema, new Set(["check_1"]))).toEqual({
      id: "check", type: "io.kestra.plugin.core.flow.If", condition: "<condition>",
      then: [{ id: "check_2", type: "io.kestra.plugin.core.log.Log", message: "<message>" }],
    });
  });
});

describe("writtenType and freeId", () => {
  it("writes Kestra's current name when the type has one", () => {
    expect(writtenType(LOG)).toBe("io.kestra.plugin.core.log.Log");
    expect(writtenType(OWN)).toBe("acme.Thing");
  });

  it("numbers the type's short name past the ids taken", () => {
    expect(freeId(LOG, new Set(["log_1"]))).toBe("log_2");
    expect(freeId(undefined, new Set())).toBe("task_1");
  });
});

describe("search", () => {
  it("lists types whose name matches every word before those whose title does", () => {
    expect(search([SSH, FETCH, LOG, OWN], "log").map((p) => p.cls)).toEqual(["log.Fetch", "log.Log", "fs.ssh.Command"]);
    expect(search([SSH, FETCH, LOG], "core.log.Log").map((p) => p.cls)).toEqual(["log.Log"]);
    expect(search([SSH, OWN], "").length).toBe(2);
  });
});
