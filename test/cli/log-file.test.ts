import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openLogFile } from "../../src/stack/log-file.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the background server's log file", () => {
  it("rotates at its size cap and keeps a bounded number of files", async () => {
    const file = path.join(dir, "server.log");
    const stream = openLogFile(file, { maxBytes: 4096, keep: 2 });
    const line = `${JSON.stringify({ level: 30, msg: "request", path: "/rest/v1/çafé?q=👋" })}\n`;
    for (let i = 0; i < 400; i += 1) {
      if (!stream.write(line)) await new Promise((resolve) => stream.once("drain", resolve));
    }
    await new Promise<void>((resolve) => stream.end(resolve));
    // Rotation happens after a write crosses the cap; give the last rename a moment.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const files = readdirSync(dir).sort();
    expect(files).toEqual(["server.log", "server.log.1", "server.log.2"]);
    const written = Buffer.byteLength(line) * 400;
    expect(written).toBeGreaterThan(3 * 4096);
    for (const name of files) {
      // At most one line past the cap (the write that crossed it).
      expect(statSync(path.join(dir, name)).size).toBeLessThanOrEqual(4096 + Buffer.byteLength(line));
      for (const text of readFileSync(path.join(dir, name), "utf8").split("\n").filter(Boolean)) {
        expect(JSON.parse(text)).toMatchObject({ path: "/rest/v1/çafé?q=👋" });
      }
    }
  });
});
