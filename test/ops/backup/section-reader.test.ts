import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EndOfFileError, readLastLine, SectionReader } from "../../../src/ops/backup/section-reader.js";

async function* chunked(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Reads `{line}` + data + marker sections until the end, returning what each part held. */
async function readAll(text: string, size: number): Promise<string[]> {
  const reader = new SectionReader(chunked(text, size));
  const parts: string[] = [];
  for (;;) {
    const line = await reader.readLine();
    if (line === null) return parts;
    parts.push(line);
    if (line.startsWith("{")) {
      const data: Buffer[] = [];
      for await (const slice of reader.copyData()) data.push(slice);
      parts.push(`data:${Buffer.concat(data).toString()}`);
    }
  }
}

describe("SectionReader", () => {
  const file = [
    "header",
    "{t1}",
    "1\tone\n2\t\\\\.\n3\t\\.x\n\\\\.\n\\.",
    "{t2}",
    "\\.",
    "{t3}",
    "",
    "\\.",
    "manifest",
  ].join("\n");
  const expected = [
    "header",
    "{t1}",
    "data:1\tone\n2\t\\\\.\n3\t\\.x\n\\\\.\n",
    "{t2}",
    "data:",
    "{t3}",
    "data:\n",
    "manifest",
  ];

  it("splits lines and COPY sections at their end markers, whatever the chunk size", async () => {
    for (const size of [1, 2, 3, 4, 5, 7, 64, 100_000]) {
      expect(await readAll(file, size)).toEqual(expected);
    }
  });

  it("throws when the file ends inside a section", async () => {
    const reader = new SectionReader(chunked("{t}\n1\tone\n2\ttwo\n", 3));
    await reader.readLine();
    const read = async () => {
      for await (const _ of reader.copyData()) {
      }
    };
    await expect(read()).rejects.toThrow(EndOfFileError);
  });

  const dir = mkdtempSync(path.join(os.tmpdir(), "groundwork-reader-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the last line from the end of a file", () => {
    const long = "x".repeat(200_000);
    const cases: [string, string][] = [
      ["a\nb\nlast\n", "last"],
      ["a\nb\nlast", "last"],
      [`a\n${long}\n`, long],
      ["only", "only"],
      ["", ""],
    ];
    for (const [content, last] of cases) {
      const file = path.join(dir, "f");
      writeFileSync(file, content);
      expect(readLastLine(file)).toBe(last);
    }
  });
});
