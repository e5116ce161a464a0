import { describe, expect, it } from "vitest";
import { effectiveScope, expectedOutcome, expectedRows } from "../../../src/ops/rls-matrix/expected.js";
import { firstAllowedValues } from "../../../src/ops/rls-matrix/introspect.js";
import { classifyError } from "../../../src/ops/rls-matrix/probe.js";
import { rolesByReach } from "../../../src/ops/rls-matrix/run.js";
import type { Rights } from "../../../src/ops/rls-matrix/types.js";

const RIGHTS: Rights = {
  admin: { select: "tenant", insert: "tenant", update: "tenant", delete: "tenant" },
  director: { select: "tenant", insert: "own", update: "own", delete: "own" },
  manager: { select: "own", insert: "own", update: "tenant", delete: "none" },
};

describe("expected outcomes from rights", () => {
  it.each([
    ["admin", "select", "tenant", "allowed"],
    ["admin", "select", "other", "denied"],
    ["director", "insert", "tenant", "denied"],
    ["director", "insert", "own", "allowed"],
    ["director", "reassign", "own", "denied"],
    ["admin", "reassign", "own", "allowed"],
    ["admin", "move", "own", "denied"],
    // An update scope wider than select is narrowed by the SELECT policies.
    ["manager", "update", "tenant", "denied"],
    ["manager", "update", "own", "allowed"],
    ["manager", "delete", "own", "denied"],
    ["nobody", "select", "own", "denied"],
  ] as const)("%s %s %s -> %s", (role, probe, kind, outcome) => {
    expect(expectedOutcome(RIGHTS, role, probe, kind)).toEqual({ kind: outcome });
  });

  it("narrows update and delete to the select scope, and counts visible rows", () => {
    expect(effectiveScope(RIGHTS, "manager", "update")).toBe("own");
    expect(expectedRows(RIGHTS, "admin", 4)).toEqual({ kind: "rows", count: 4 });
    expect(expectedRows(RIGHTS, "manager", 4)).toEqual({ kind: "rows", count: 1 });
    expect(expectedRows(RIGHTS, "nobody", 4)).toEqual({ kind: "rows", count: 0 });
  });

  it("orders roles by how far their rights reach", () => {
    expect(rolesByReach([RIGHTS])).toEqual(["admin", "director", "manager"]);
  });
});

describe("classifying denials", () => {
  it("tells a WITH CHECK violation from a missing grant, and counts integrity errors as RLS passed", () => {
    const rls = Object.assign(new Error('new row violates row-level security policy for table "t"'), {
      code: "42501",
    });
    expect(classifyError(rls)).toMatchObject({
      outcome: "denied",
      how: "42501 row-level security (WITH CHECK)",
    });
    const grant = Object.assign(new Error("permission denied for table t"), { code: "42501" });
    expect(classifyError(grant)).toMatchObject({ outcome: "denied", how: "42501 permission denied" });
    const unique = Object.assign(new Error("duplicate key"), { code: "23505", constraint: "t_key" });
    expect(classifyError(unique)).toMatchObject({
      outcome: "allowed",
      how: "passed RLS, then 23505 (t_key)",
    });
    const other = Object.assign(new Error("boom"), { code: "XX000" });
    expect(classifyError(other)).toMatchObject({ outcome: "error" });
  });
});

describe("values from check constraints", () => {
  it("reads the first allowed value of in-list checks as Postgres prints them", () => {
    expect(
      firstAllowedValues([
        "CHECK ((size = ANY (ARRAY['1'::text, '2-10'::text])))",
        "CHECK (((kind)::text = ANY ((ARRAY['call'::character varying, 'x'::character varying])::text[])))",
        "CHECK ((mood = 'it''s'::text))",
        "CHECK ((length(TRIM(BOTH FROM name)) > 0))",
      ]),
    ).toEqual(
      new Map([
        ["size", "1"],
        ["kind", "call"],
        ["mood", "it's"],
      ]),
    );
  });
});
