import type { Cell, MatrixResult } from "./types.js";

/**
 * The matrix as JUnit XML for CI: a test suite per table, a test case per cell
 * (`account_manager update other`), a `<failure>` with the problem and its causes.
 */
export function renderJunit(result: MatrixResult): string {
  const failed = result.cells.filter((c) => !c.pass).length;
  const seconds = (result.durationMs / 1000).toFixed(3);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="groundwork test rls" tests="${result.cells.length}" failures="${failed}" time="${seconds}">`,
  ];
  for (const spec of result.tables) {
    const cells = result.cells.filter((c) => c.table === spec.table);
    const tableFailures = cells.filter((c) => !c.pass).length;
    lines.push(
      `  <testsuite name="${xml(spec.table)}" tests="${cells.length}" failures="${tableFailures}" errors="0">`,
    );
    for (const cell of cells) {
      const open = `    <testcase classname="${xml(spec.table)}" name="${xml(caseName(cell))}"`;
      if (cell.pass) {
        lines.push(`${open}/>`);
        continue;
      }
      const detail = [cell.problem ?? "", ...(cell.causes ?? []).map((c) => `-> ${c}`)].join("\n");
      lines.push(`${open}>`);
      lines.push(
        `      <failure message="${xml(cell.problem ?? "failed")}" type="rls">${xml(detail)}</failure>`,
      );
      lines.push("    </testcase>");
    }
    lines.push("  </testsuite>");
  }
  lines.push("</testsuites>");
  return `${lines.join("\n")}\n`;
}

function caseName(cell: Cell): string {
  const expected = cell.expected.kind === "rows" ? `${cell.expected.count} rows` : cell.expected.kind;
  return `${cell.role} ${cell.probe}${cell.kind ? ` ${cell.kind}` : ""} -> ${expected}`;
}

function xml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}
