import type pg from "pg";
import type { Expectation, Observation, Probe, RowKind, TableSpec } from "./types.js";

/** One policy as the catalog has it. */
export interface PolicyFacts {
  readonly name: string;
  /** select | insert | update | delete | all */
  readonly command: string;
  readonly permissive: boolean;
  /** Role names; `public` for PUBLIC. */
  readonly roles: readonly string[];
  readonly using: string | null;
  readonly check: string | null;
}

export interface TableFacts {
  readonly rlsEnabled: boolean;
  readonly policies: readonly PolicyFacts[];
}

const COMMANDS: Readonly<Record<string, string>> = {
  r: "select",
  a: "insert",
  w: "update",
  d: "delete",
  "*": "all",
};

/** Reads a table's row-level security switch and policies. */
export async function readTableFacts(client: pg.ClientBase, table: string): Promise<TableFacts> {
  const { rows } = await client.query<{
    rls: boolean;
    name: string | null;
    cmd: string | null;
    permissive: boolean | null;
    roles: string[] | null;
    using: string | null;
    check: string | null;
  }>(
    `select c.relrowsecurity as rls, p.polname as name, p.polcmd::text as cmd, p.polpermissive as permissive,
            array(select case when r = 0 then 'public' else pg_get_userbyid(r)::text end from unnest(p.polroles) r) as roles,
            pg_get_expr(p.polqual, p.polrelid) as using, pg_get_expr(p.polwithcheck, p.polrelid) as check
     from pg_class c left join pg_policy p on p.polrelid = c.oid
     where c.oid = $1::regclass order by p.polname`,
    [table],
  );
  return {
    rlsEnabled: rows[0]?.rls === true,
    policies: rows
      .filter((row) => row.name !== null)
      .map((row) => ({
        name: row.name as string,
        command: COMMANDS[row.cmd ?? ""] ?? "all",
        permissive: row.permissive === true,
        roles: row.roles ?? [],
        using: row.using,
        check: row.check,
      })),
  };
}

const VERBS: Readonly<Record<Probe, string>> = {
  select: "see",
  list: "list",
  insert: "insert",
  update: "update",
  move: "move to another tenant",
  reassign: "hand to another owner",
  delete: "delete",
};

/** The command whose policies decide a probe. */
function commandOf(probe: Probe): string {
  if (probe === "move" || probe === "reassign") return "update";
  return probe === "list" ? "select" : probe;
}

/** "its own row", "a colleague's row", "a row of another tenant"... for messages. */
export function kindText(kind: RowKind | null, ownerMode: boolean): string {
  if (kind === "own") return "its own row";
  if (kind === "tenant") return ownerMode ? "a colleague's row in its tenant" : "a row of its tenant";
  if (kind === "other") return "a row of another tenant";
  return "rows";
}

/**
 * Says what a failing cell means and looks in the table's policies for the usual causes: RLS
 * off, `true` expressions, user_metadata, policies that apply to anon or PUBLIC, WITH CHECK
 * clauses that do not pin the tenant or owner column.
 */
export function diagnose(
  spec: TableSpec,
  facts: TableFacts,
  cell: { role: string; probe: Probe; kind: RowKind | null; expected: Expectation; observed: Observation },
): { problem: string; causes: string[] } {
  const { role, probe, kind, expected, observed } = cell;
  const what = `${VERBS[probe]} ${kindText(kind, spec.ownerColumn !== null)}`;
  const command = commandOf(probe);
  const relevant = facts.policies.filter(
    (p) => p.permissive && (p.command === command || p.command === "all") && appliesTo(p, role),
  );
  const causes: string[] = [];
  if (observed.outcome === "error") {
    return { problem: `${role} could not try to ${what}: ${observed.message ?? observed.how}`, causes };
  }
  if (expected.kind === "rows") {
    const problem = `${role} sees ${observed.rows ?? 0} of the test rows, expected ${expected.count}`;
    if ((observed.rows ?? 0) > expected.count) causes.push(...leakCauses(spec, facts, relevant, probe, role));
    return { problem, causes };
  }
  if (expected.kind === "allowed") {
    if (observed.code === "42501" && observed.how.includes("permission denied")) {
      causes.push(
        `${role === "anon" ? "anon" : "authenticated"} lacks the ${command.toUpperCase()} grant on ${spec.table}`,
      );
    } else if (relevant.length === 0) {
      causes.push(`no permissive ${command.toUpperCase()} policy on ${spec.table} applies to authenticated`);
    }
    return { problem: `${role} cannot ${what}, which its declared rights allow`, causes };
  }
  causes.push(...leakCauses(spec, facts, relevant, probe, role));
  const how = observed.how ? ` (${observed.how})` : "";
  return { problem: `${role} can ${what}${how}, which its declared rights do not allow`, causes };
}

function leakCauses(
  spec: TableSpec,
  facts: TableFacts,
  relevant: readonly PolicyFacts[],
  probe: Probe,
  role: string,
): string[] {
  if (!facts.rlsEnabled) {
    return [`row-level security is disabled on ${spec.table}: every role with a grant reaches every row`];
  }
  const causes: string[] = [];
  for (const policy of relevant) {
    const label = `policy "${policy.name}" (${policy.command.toUpperCase()})`;
    if (mentions(policy, "user_metadata")) {
      causes.push(
        `${label} reads user_metadata, which users can change themselves with updateUser({ data })`,
      );
    }
    if (isTrue(policy.using)) causes.push(`${label} has USING (true)`);
    if (isTrue(policy.check)) causes.push(`${label} has WITH CHECK (true)`);
    if (role === "anon") causes.push(`${label} applies to ${policy.roles.join(", ")}, which includes anon`);
    const check = policy.check ?? (policy.command === "insert" ? null : policy.using);
    if ((probe === "insert" || probe === "move") && !mentionsColumn(check, spec.tenantColumn)) {
      causes.push(
        `${label} has no WITH CHECK on ${spec.tenantColumn}: a row can be written into another tenant`,
      );
    }
    if (probe === "reassign" && spec.ownerColumn && !mentionsColumn(check, spec.ownerColumn)) {
      causes.push(`${label} has no WITH CHECK on ${spec.ownerColumn}: a row can be handed to another owner`);
    }
  }
  if (causes.length === 0 && relevant.length > 0) {
    causes.push(`permissive policies that let it: ${relevant.map((p) => `"${p.name}"`).join(", ")}`);
  }
  return [...new Set(causes)];
}

function appliesTo(policy: PolicyFacts, role: string): boolean {
  const dbRole = role === "anon" ? "anon" : "authenticated";
  return policy.roles.includes("public") || policy.roles.includes(dbRole);
}

function mentions(policy: PolicyFacts, word: string): boolean {
  return `${policy.using ?? ""} ${policy.check ?? ""}`.includes(word);
}

function mentionsColumn(expression: string | null, column: string): boolean {
  const name = column.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return expression !== null && new RegExp(`(^|[^a-z0-9_])"?${name}"?([^a-z0-9_]|$)`, "i").test(expression);
}

function isTrue(expression: string | null): boolean {
  return expression !== null && /^\(*\s*true\s*\)*$/i.test(expression.trim());
}
