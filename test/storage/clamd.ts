import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

/** The EICAR test file: every scanner reports it, and it harms nothing. */
export const EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

const CLAMD = "/usr/sbin/clamd";

/** A clamd of the test's own on a temporary socket. */
export interface TestClamd {
  readonly socket: string;
  stop(): Promise<void>;
}

/**
 * Starts clamd (Debian's `clamav-daemon`, installed by .ci/run) with a signature database built
 * here, offline: one MD5 signature for the EICAR test file (there is no network for freshclam).
 * `streamMaxLength` lowers the largest stream it takes (a clamd that breaks off midway).
 * Resolves once its socket accepts connections.
 */
export async function startClamd(options: { streamMaxLength?: string } = {}): Promise<TestClamd> {
  if (!existsSync(CLAMD))
    throw new Error(`${CLAMD} is missing: install Debian's clamav-daemon (see .ci/run)`);
  const dir = await mkdtemp(path.join(tmpdir(), "gw-clamd-"));
  const socket = path.join(dir, "clamd.sock");
  await writeFile(
    path.join(dir, "test.hdb"),
    `${createHash("md5").update(EICAR).digest("hex")}:${EICAR.length}:Eicar-Test-Signature\n`,
  );
  await writeFile(
    path.join(dir, "clamd.conf"),
    [
      `LocalSocket ${socket}`,
      `DatabaseDirectory ${dir}`,
      `TemporaryDirectory ${dir}`,
      "Foreground yes",
      `StreamMaxLength ${options.streamMaxLength ?? "200M"}`,
      // A log of its own: clamd locks its log file, so two clamds sharing /dev/null (parallel
      // test files, other users of the machine) made the second fail to start.
      `LogFile ${path.join(dir, "clamd.log")}`,
    ].join("\n"),
  );
  const child: ChildProcess = spawn(CLAMD, ["--config-file", path.join(dir, "clamd.conf")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const deadline = Date.now() + 30_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null)
      throw new Error(`clamd exited with code ${child.exitCode}: ${stderr.trim()}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("clamd did not open its socket within 30 s");
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    socket,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
