import { describe, expect, it } from "vitest";
import { RestError } from "../../src/services/rest/errors.js";
import { parseQueryString } from "../../src/services/rest/parse/query-string.js";

/** A small deterministic PRNG (mulberry32) so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = [
  "select=id,title,directors(name)&id=eq.1",
  "select=*,actors(*)&order=id.desc.nullslast&limit=2&offset=1",
  "or=(id.eq.1,and(year.gt.1960,title.ilike.*a*))&select=id",
  "select=t:title,y:year::text,meta->>lang&meta->awards->>count=gte.1",
  "tags=cs.{drama}&during=sl.[1970,1990)&doc=fts(english).travel",
  'select=id,directors!inner(name)&directors.name=in.("Agnes Varda",x)&not.or=(id.eq.3)',
  "select=title,...directors(name)&order=directors(name).asc&id=not.is.null",
  "select=id&title=like(any).{*a*,*b*}&rating=isdistinct.8.1",
];
const ALPHABET = "abcdeilnorstyz_.,:!()*{}[]\"\\-><=&%+ 0123456789'$;/\u0000é";

function mutate(rand: () => number, text: string): string {
  const chars = [...text];
  const edits = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < edits; i += 1) {
    const at = Math.floor(rand() * (chars.length + 1));
    const char = ALPHABET[Math.floor(rand() * ALPHABET.length)] as string;
    const kind = rand();
    if (kind < 0.4) chars.splice(at, 0, char);
    else if (kind < 0.7) chars.splice(at, 1);
    else chars[at] = char;
  }
  return chars.join("");
}

function noise(rand: () => number): string {
  const length = Math.floor(rand() * 40);
  let out = "";
  for (let i = 0; i < length; i += 1) out += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return out;
}

function* queries(seed: number, count: number): Generator<string> {
  const rand = random(seed);
  for (let i = 0; i < count; i += 1) {
    const base = VALID[Math.floor(rand() * VALID.length)] as string;
    yield rand() < 0.75 ? mutate(rand, base) : noise(rand);
  }
}

// Requests to the running server are fuzzed with every other route in test/fuzz/ (rest.ts).
describe("fuzzing the query-string parser", () => {
  it("the parser either parses or throws a PGRST error (3,000 strings)", () => {
    let rejected = 0;
    for (const query of queries(42, 3000)) {
      for (const rpc of [false, true]) {
        try {
          parseQueryString(query, { rpc });
        } catch (error) {
          rejected += 1;
          if (!(error instanceof RestError))
            throw new Error(`non-PGRST failure for ${JSON.stringify(query)}: ${error}`);
          expect(["PGRST100", "PGRST103"]).toContain(error.body.code);
          expect(error.status === 400 || error.status === 416).toBe(true);
        }
      }
    }
    expect(rejected).toBeGreaterThan(100);
  });
});
