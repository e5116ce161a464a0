import type { Config } from "../config/index.js";
import { maskSecrets } from "../db/database-url.js";
import type { StackState } from "../stack/state-file.js";
import { maskToken, print } from "./output.js";

/** One titled table of the banner, as the Supabase CLI groups `supabase start` / `status` output. */
interface Group {
  readonly title: string;
  readonly rows: readonly (readonly [string, string | null])[];
}

/**
 * The groups `supabase status` prints: tools, APIs, database, and the opaque API keys. The APIs
 * group also names the storage and realtime endpoints, which the Supabase CLI leaves out. The
 * legacy JWT secret and JWT keys are in `status -o env` only, as in the current Supabase CLI.
 * Keys other than the CLI's well-known local ones are masked here.
 */
export function bannerGroups(config: Config, state: StackState): Group[] {
  const publishable = config.jwt.publishableKeys[0] ?? null;
  const secret = config.jwt.secretKeys[0] ?? null;
  return [
    {
      title: "🔧 Development Tools",
      rows: [
        ["Studio", state.studioUrl],
        ["Mailpit", state.mailUrl ?? null],
      ],
    },
    {
      title: "🌐 APIs",
      rows: [
        ["Project URL", state.apiUrl],
        ["REST", `${state.apiUrl}/rest/v1`],
        ["Auth", `${state.apiUrl}/auth/v1`],
        ["Storage", `${state.apiUrl}/storage/v1`],
        ["Realtime", `${websocketUrl(state.apiUrl)}/realtime/v1`],
        ["Edge Functions", config.edgeRuntime.enabled ? `${state.apiUrl}/functions/v1` : null],
      ],
    },
    { title: "⛁ Database", rows: [["URL", state.dbUrl]] },
    {
      title: "🔑 Authentication Keys",
      rows: [
        ["Publishable", publishable],
        ["Secret", secret === null || config.jwt.isWellKnownApiKeys ? secret : maskToken(secret)],
      ],
    },
  ];
}

/** The API's URL with the WebSocket scheme realtime clients connect with. */
function websocketUrl(apiUrl: string): string {
  return apiUrl.replace(/^http/, "ws");
}

/** Prints the groups as rounded tables, skipping empty rows and groups. */
export function printGroups(groups: readonly Group[]): void {
  for (const group of groups) {
    // Masked before measuring, so the table stays aligned.
    const rows = group.rows
      .filter((row): row is readonly [string, string] => row[1] !== null && row[1] !== "")
      .map(([label, value]) => [label, maskSecrets(value)] as const);
    if (rows.length === 0) continue;
    const labelWidth = Math.max(...rows.map(([label]) => label.length));
    const valueWidth = Math.max(
      ...rows.map(([, value]) => value.length),
      group.title.length - labelWidth - 3,
    );
    const inner = labelWidth + valueWidth + 5;
    print(`╭${"─".repeat(inner)}╮`);
    print(`│ ${group.title.padEnd(inner - 2)} │`);
    print(`├${"─".repeat(labelWidth + 2)}┬${"─".repeat(valueWidth + 2)}┤`);
    for (const [label, value] of rows) print(`│ ${label.padEnd(labelWidth)} │ ${value.padEnd(valueWidth)} │`);
    print(`╰${"─".repeat(labelWidth + 2)}┴${"─".repeat(valueWidth + 2)}╯`);
    print();
  }
}
