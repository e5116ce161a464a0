import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RestError } from "../../src/services/rest/errors.js";
import { parseQueryString } from "../../src/services/rest/parse/query-string.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { GRAMMAR_FIXTURE } from "./fixtures.js";
import { rest, untilServed } from "./helpers.js";

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

describe("fuzzing the query-string parser and the server", () => {
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

  describe("against the server", () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ template: "platform" });
      await server.database.query(GRAMMAR_FIXTURE);
      await server.database.query("notify pgrst, 'reload schema'");
      await untilServed(server, "/films?limit=0");
    });
    afterAll(async () => {
      await server.close();
    });

    it("answers 400 random and mutated query strings with no 5xx and PostgREST error bodies", async () => {
      const statuses = new Map<number, number>();
      const all = [...queries(7, 400)];
      for (let i = 0; i < all.length; i += 8) {
        await Promise.all(
          all.slice(i, i + 8).map(async (query, j) => {
            const path = (i + j) % 5 === 0 ? "/rpc/films_after" : "/films";
            const encoded = query
              .replace(/[^A-Za-z0-9_.,:!()*{}\-><=&%+ '$;~]/g, (c) => encodeURIComponent(c))
              .replaceAll(" ", "%20");
            const response = await rest(server, `${path}?${encoded}`, { token: server.serviceRoleKey });
            statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
            if (response.status >= 500)
              throw new Error(`${response.status} for ${path}?${encoded}: ${response.text}`);
            if (response.status >= 400) {
              expect(Object.keys(response.json as object).sort()).toEqual([
                "code",
                "details",
                "hint",
                "message",
              ]);
            }
          }),
        );
      }
      expect(statuses.get(400) ?? 0).toBeGreaterThan(20);
    });
  });
});
