import { kindText } from "./diagnose.js";
import type { Cell, MatrixResult, Probe, RowKind, TableSpec } from "./types.js";

const PROBES: readonly Probe[] = ["list", "select", "insert", "update", "move", "reassign", "delete"];
const KINDS: readonly RowKind[] = ["own", "tenant", "other"];
const WIDTH = 7;
const LABEL = 10;
/** Failing cells listed per group before "... and N more". */
const MAX_LISTED = 12;

/**
 * The matrix for people: per table, one line per probe, a column per role x row kind (own row,
 * same tenant, other tenant) and one for anon. Passing cells read `allow` / `deny` (or the rows
 * seen); failing cells are upper case with `!`. Failures are listed after, with their causes.
 */
export function renderMatrix(result: MatrixResult): string[] {
  const lines: string[] = [];
  const columns = [...result.roles, "anon"];
  lines.push(
    `RLS access matrix: ${result.tables.length} table(s); roles ${result.roles.join(", ")} and anon; rows: own, same tenant, other tenant`,
  );
  for (const warning of result.warnings) lines.push(`warning: ${warning}`);
  for (const spec of result.tables) {
    lines.push("", `${spec.table}  ${describeSpec(spec)}`);
    lines.push((" ".repeat(LABEL) + columns.map((c) => pad(c, WIDTH * 3)).join("")).trimEnd());
    lines.push(
      (
        " ".repeat(LABEL) + result.roles.map(() => KINDS.map((k) => pad(k, WIDTH)).join("")).join("")
      ).trimEnd(),
    );
    const cells = result.cells.filter((c) => c.table === spec.table);
    for (const probe of PROBES) {
      const row = cells.filter((c) => c.probe === probe);
      if (row.length === 0) continue;
      let line = pad(probe, LABEL);
      for (const role of result.roles) {
        if (probe === "list") {
          const cell = row.find((c) => c.role === role);
          line += pad(cell ? cellText(cell) : "", WIDTH * 3);
          continue;
        }
        for (const kind of KINDS) {
          const cell = row.find((c) => c.role === role && c.kind === kind);
          line += pad(cell ? cellText(cell) : "-", WIDTH);
        }
      }
      const anon = row.find((c) => c.role === "anon");
      line += anon ? cellText(anon) : "-";
      lines.push(line.trimEnd());
    }
  }
  const failed = result.cells.filter((c) => !c.pass);
  if (failed.length > 0) lines.push("", "Failures:", ...failureLines(result, failed));
  lines.push("", summaryLine(result));
  return lines;
}

/** Failing cells grouped by table and likely cause, so one mistake reads as one finding. */
function failureLines(result: MatrixResult, failed: readonly Cell[]): string[] {
  const groups = new Map<string, Cell[]>();
  for (const cell of failed) {
    const key = `${cell.table}\u0000${(cell.causes ?? []).join("\u0000")}`;
    groups.set(key, [...(groups.get(key) ?? []), cell]);
  }
  const lines: string[] = [];
  for (const group of groups.values()) {
    // The worst leaks first: anon, then other tenants' rows, then rows moved out of the tenant.
    const cells = [...group].sort((a, b) => severity(a) - severity(b));
    const first = cells[0] as Cell;
    const ownerMode = result.tables.find((t) => t.table === first.table)?.ownerColumn != null;
    lines.push(`  ${first.table}: ${cells.length} cell${cells.length === 1 ? "" : "s"}`);
    for (const cause of first.causes ?? []) lines.push(`    cause: ${cause}`);
    for (const cell of cells.slice(0, MAX_LISTED)) {
      const where = cell.kind ? `, ${kindText(cell.kind, ownerMode)}` : "";
      lines.push(`    FAIL ${cell.table}  ${cell.role}  ${cell.probe}${where} -> ${outcomeText(cell)}`);
    }
    if (cells.length > MAX_LISTED) {
      lines.push(`    ... and ${cells.length - MAX_LISTED} more (--json or --junit list every cell)`);
    }
  }
  return lines;
}

function severity(cell: Cell): number {
  if (cell.role === "anon") return 0;
  if (cell.kind === "other") return 1;
  return cell.probe === "move" ? 2 : 3;
}

/** `ALLOWED (1 row changed), expected denied`, `sees 5 of the test rows, expected 4`... */
function outcomeText(cell: Cell): string {
  const { expected, observed } = cell;
  if (observed.outcome === "error")
    return `ERROR ${observed.code ?? ""}: ${observed.message ?? observed.how}`;
  if (expected.kind === "rows")
    return `sees ${observed.rows ?? 0} of the test rows, expected ${expected.count}`;
  return `${observed.outcome.toUpperCase()} (${observed.how}), expected ${expected.kind}`;
}

/** `496 cells: 496 passed, 0 failed (0.9 s)`. */
export function summaryLine(result: MatrixResult): string {
  const failed = result.cells.filter((c) => !c.pass).length;
  return `${result.cells.length} cells: ${result.cells.length - failed} passed, ${failed} failed (${(result.durationMs / 1000).toFixed(1)} s)`;
}

function describeSpec(spec: TableSpec): string {
  const parts = [`tenant column ${spec.tenantColumn}`];
  if (spec.ownerColumn) {
    parts.push(
      `owner ${spec.ownerColumn}${spec.owner ? ` -> ${spec.owner.table}.${spec.owner.userColumn}` : " (auth user)"}`,
    );
  }
  if (spec.source !== "declaration") parts.push(`from ${spec.source}`);
  return `(${parts.join("; ")})`;
}

function cellText(cell: Cell): string {
  if (cell.expected.kind === "rows") {
    const seen = String(cell.observed.rows ?? "?");
    return cell.pass ? seen : `${seen}!=${cell.expected.count}`;
  }
  if (cell.observed.outcome === "error") return "ERROR!";
  const text = cell.observed.outcome === "allowed" ? "allow" : "deny";
  return cell.pass ? text : `${text.toUpperCase()}!`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text.padEnd(width);
}
