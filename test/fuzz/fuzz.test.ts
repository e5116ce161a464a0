import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVICES } from "../../src/http/services.js";
import { type TempProject, tempProject } from "../harness/project.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { FUZZ_TEST_NUMBERS } from "./auth.js";
import { mutateRequest } from "./mutate.js";
import { seededRandom } from "./random.js";
import { describeRequest, type FuzzResponse, sendRaw } from "./send.js";
import { FUZZ_SERVICES, NOT_YET_FUZZED } from "./services.js";
import type { FuzzContext, FuzzRequest, FuzzRoute, FuzzService } from "./types.js";

/**
 * The permanent guard that nothing a client sends gets a 5xx: every route of every service, from
 * a valid request, with its query string, headers, body, path and method mutated. Seeded, so a
 * failure replays: GROUNDWORK_FUZZ_SEED=<seed> (and GROUNDWORK_FUZZ_ONLY=<index> for one request).
 * GROUNDWORK_FUZZ_COUNT sets how many mutated requests are sent.
 */
const SEED = Number(process.env.GROUNDWORK_FUZZ_SEED ?? 20_261_207);
const COUNT = Number(process.env.GROUNDWORK_FUZZ_COUNT ?? 3000);
const ONLY = process.env.GROUNDWORK_FUZZ_ONLY === undefined ? null : Number(process.env.GROUNDWORK_FUZZ_ONLY);
const CONCURRENCY = 8;

interface Planned {
  readonly index: number;
  readonly service: FuzzService;
  readonly route: FuzzRoute;
  readonly request: FuzzRequest;
}

/** The example project with rate limits high enough that the run reaches past them. */
function fuzzProject(): TempProject {
  const project = tempProject({ copyExample: true });
  const file = path.join(project.dir, "supabase", "config.toml");
  const toml = readFileSync(file, "utf8")
    .replace(
      /^(email_sent|anonymous_users|token_refresh|sign_in_sign_ups|token_verifications) = \d+$/gm,
      "$1 = 1000000",
    )
    .replace(/^max_frequency = .*$/m, 'max_frequency = "0s"')
    // Phone sign-in on, with test numbers (no SMS delivery is configured, so others answer 422).
    .replace(
      /^\[auth\.sms\]\nenable_signup = false$/m,
      `[auth.sms]\nenable_signup = true\nmax_frequency = "0s"\n[auth.sms.test_otp]\n${FUZZ_TEST_NUMBERS.map((n) => `${n} = "123456"`).join("\n")}`,
    );
  // A GitHub provider at a port nothing is fetched from (fetch refuses port 9): /authorize builds
  // its URL, /callback checks the state and then fails to reach the provider, so both run past
  // their input checks.
  const github =
    '\n[auth.external.github]\nenabled = true\nclient_id = "fuzz"\nsecret = "fuzz"\nurl = "http://127.0.0.1:9"\n';
  // Phone MFA on (no SMS delivery: challenges of phone factors answer 422 sms_send_failed).
  const phoneMfa = "\n[auth.mfa.phone]\nenroll_enabled = true\nverify_enabled = true\n";
  writeFileSync(file, `${toml}${github}${phoneMfa}`);
  return project;
}

/** The paths Fastify registered (its route tree printed, each level indented by four characters, joined). */
function registeredRoutes(server: TestServer): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of server.app.printRoutes({ commonPrefix: false }).split("\n")) {
    const match = /^(.*?)[└├]── (\S+) \(/.exec(line);
    if (!match) continue;
    const depth = (match[1] as string).length / 4;
    stack.length = depth;
    // A wildcard printed right after a parameter (`/:bucket` then `*`) is that parameter's `/*`.
    const full = `${stack.at(-1) ?? ""}${match[2]}`.replace(/\/\//g, "/").replace(/(:\w+)\*$/, "$1/*");
    stack.push(full);
    routes.push(full);
  }
  return routes;
}

function plan(contexts: Map<FuzzService, FuzzContext>): Planned[] {
  const random = seededRandom(SEED);
  const routes = FUZZ_SERVICES.flatMap((service) => service.routes.map((route) => ({ service, route })));
  const planned: Planned[] = [];
  for (let index = 0; index < COUNT; index += 1) {
    const { service, route } = random.pick(routes);
    const context = contexts.get(service) as FuzzContext;
    const request = mutateRequest(
      random,
      route.example(context),
      service.mutations ?? [],
      (mutation, current) => mutation(current, random, context),
    );
    planned.push({ index, service, route, request });
  }
  return ONLY === null ? planned : planned.filter((p) => p.index === ONLY);
}

async function sendAll(
  url: string,
  planned: readonly Planned[],
  onResponse: (p: Planned, r: FuzzResponse | Error) => void,
) {
  let next = 0;
  const worker = async () => {
    while (next < planned.length) {
      const item = planned[next++] as Planned;
      onResponse(item, await sendRaw(url, item.request).catch((error: Error) => error));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/**
 * Answers given before any service sees the request, which no service can shape: the HTTP
 * parser's refusal of a malformed request (a NUL in a header), the router's refusal of a path
 * that does not percent-decode or whose parameter is longer than it takes (414), and its 404 for
 * a method no route of the path has (TRACE, or OPTIONS without CORS headers).
 */
function fromFramework(response: FuzzResponse): boolean {
  return (
    response.body === '{"error":"Bad Request","message":"Client Error","statusCode":400}' ||
    response.body.includes('"code":"FST_ERR_BAD_URL"') ||
    response.body.includes('"code":"FST_ERR_MAX_PARAM_LENGTH"') ||
    (response.status === 404 && /^\{"message":"Route [A-Z]+:/.test(response.body))
  );
}

function underPrefix(requestPath: string, prefix: string): boolean {
  return prefix === "/"
    ? false
    : requestPath === prefix || requestPath.startsWith(`${prefix}/`) || requestPath.startsWith(`${prefix}?`);
}

describe(`fuzzing every route of every service (seed ${SEED})`, () => {
  let project: TempProject;
  let server: TestServer;
  const contexts = new Map<FuzzService, FuzzContext>();

  beforeAll(async () => {
    project = fuzzProject();
    // Errors are logged, so the cause of a 5xx is printed beside the failure.
    server = await startTestServer({ projectDir: project.dir, logLevel: "error" });
    for (const service of FUZZ_SERVICES)
      contexts.set(service, { server, values: (await service.setup?.(server)) ?? {} });
  });
  afterAll(async () => {
    await server?.close();
    project?.remove();
  });

  it("has mutations for every service and every registered route", () => {
    const names = FUZZ_SERVICES.map((service) => service.name);
    const pending = SERVICES.filter((service) => NOT_YET_FUZZED.includes(service.name)).map((s) => s.prefix);
    for (const service of SERVICES.filter(
      (routed) => routed.prefix !== undefined && !pending.includes(routed.prefix),
    ))
      expect(names, `add test/fuzz/${service.name}.ts to services.ts`).toContain(service.name);
    const covered = new Set(FUZZ_SERVICES.flatMap((service) => service.routes.map((route) => route.route)));
    const missing = registeredRoutes(server).filter(
      (route) =>
        !covered.has(route) && !pending.some((prefix) => prefix !== undefined && route.startsWith(prefix)),
    );
    expect(missing, "registered routes the fuzz test does not send to").toEqual([]);
  });

  it("answers each route's valid example as expected", async () => {
    const wrong: string[] = [];
    for (const service of FUZZ_SERVICES) {
      for (const route of service.routes) {
        const request = route.example(contexts.get(service) as FuzzContext);
        const response = await sendRaw(server.url, request);
        const ok =
          route.exampleStatus === undefined ? response.status < 400 : response.status === route.exampleStatus;
        if (!ok)
          wrong.push(`${response.status} for ${describeRequest(request)}: ${response.body.slice(0, 300)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it(`never answers 5xx to ${COUNT} mutated requests, and answers errors in each protocol's shape`, async () => {
    const failures: string[] = [];
    const shapes: string[] = [];
    const statuses = new Map<number, number>();
    await sendAll(server.url, plan(contexts), (item, response) => {
      const where = `#${item.index} (seed ${SEED}) ${describeRequest(item.request)}`;
      if (response instanceof Error) {
        failures.push(`no response (${response.message}) to ${where}`);
        return;
      }
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 500)
        failures.push(`${response.status} ${response.body.slice(0, 300)} to ${where}`);
      else if (
        response.status >= 400 &&
        item.service.errorShape &&
        item.request.method !== "HEAD" &&
        underPrefix(item.request.path, item.service.prefix) &&
        !fromFramework(response)
      ) {
        const problem = item.service.errorShape(response.status, response.body, item.request);
        if (problem) shapes.push(`${response.status} ${problem}: ${response.body.slice(0, 200)} to ${where}`);
      }
    });
    expect(failures.slice(0, 15), `${failures.length} failures`).toEqual([]);
    expect(shapes.slice(0, 15), `${shapes.length} error bodies not in the protocol's shape`).toEqual([]);
    if (ONLY === null) expect(statuses.get(400) ?? 0).toBeGreaterThan(COUNT / 10);
    // About 20 s alone; more on a machine busy with the rest of the suite.
  }, 180_000);

  it("still answers correctly afterwards", async () => {
    for (const service of FUZZ_SERVICES) await service.healthy(contexts.get(service) as FuzzContext);
  });
});
