import { describe, expect, it } from "vitest";
import { RowHasher } from "../../../src/ops/backup/row-hash.js";

function checksum(chunks: readonly (string | Buffer)[]): { rows: number; checksum: string } {
  const hasher = new RowHasher();
  for (const chunk of chunks) hasher.update(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return { rows: hasher.rows, checksum: hasher.digest() };
}

describe("RowHasher", () => {
  const rows = "1\tAcme\t\\N\n2\tBeta \\t tab\t{a,b}\n3\tΩmega 🚀\t\\\\x\n";

  it("does not depend on how the stream is cut into chunks", () => {
    const whole = checksum([rows]);
    expect(whole.rows).toBe(3);
    const bytes = Buffer.from(rows);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(checksum([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(whole);
    }
    expect(checksum([...bytes].map((byte) => Buffer.from([byte])))).toEqual(whole);
  });

  it("does not depend on row order, but on every byte and on row boundaries", () => {
    const whole = checksum([rows]);
    const reversed = `${rows.trimEnd().split("\n").reverse().join("\n")}\n`;
    expect(checksum([reversed])).toEqual(whole);
    expect(checksum([rows.replace("Acme", "Acmf")]).checksum).not.toBe(whole.checksum);
    expect(checksum([rows.replace("1\tAcme", "1\tAcme\t")]).checksum).not.toBe(whole.checksum);
    // The same bytes split into other rows.
    expect(checksum(["ab\ncd\n"]).checksum).not.toBe(checksum(["a\nbcd\n"]).checksum);
    // A duplicated row counts, and changes the sum.
    const twice = checksum([rows, "1\tAcme\t\\N\n"]);
    expect(twice.rows).toBe(4);
    expect(twice.checksum).not.toBe(whole.checksum);
  });

  it("gives 16 hex digits, zeros for no rows", () => {
    expect(checksum([]).checksum).toBe("0000000000000000");
    expect(checksum([rows]).checksum).toMatch(/^[0-9a-f]{16}$/);
  });
});
