import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { decodeProtectedHeader, importJWK, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WELL_KNOWN_PUBLISHABLE_KEY } from "../../src/config/jwt-keys.js";
import { readSigningKeys } from "../../src/config/keys-section.js";
import {
  appendStandby,
  generateSigningKey,
  type PrivateJwk,
  promote,
  revoke,
  writeKeySet,
} from "../../src/ops/keys/signing-keys.js";
import { JwtError, verifyJwt } from "../../src/request/jwt.js";
import { verificationKeys } from "../../src/request/verification-keys.js";
import { runCli } from "../harness/cli.js";
import { type TempProject, tempProject } from "../harness/project.js";
import { startTestServer, type TestServer, testClient } from "../harness/server.js";
import { SEED_PASSWORD } from "./helpers.js";

/** The private key of a JWK from the file (WebCrypto refuses its `key_ops: [sign, verify]`). */
function privateKeyOf(jwk: PrivateJwk) {
  const { key_ops: _ops, ext: _ext, ...rest } = jwk;
  return importJWK(rest as JWK, jwk.alg as string);
}

/** The example project with `[auth] signing_keys_path` pointing at the given key set. */
function projectWithKeys(keys: readonly PrivateJwk[]): TempProject {
  const project = tempProject({ copyExample: true });
  const configPath = path.join(project.dir, "supabase", "config.toml");
  const config = readFileSync(configPath, "utf8").replace(
    "[auth]\nenabled = true\n",
    '[auth]\nenabled = true\nsigning_keys_path = "./signing_keys.json"\n',
  );
  project.write("supabase/config.toml", config);
  writeKeySet(path.join(project.dir, "supabase", "signing_keys.json"), keys);
  return project;
}

describe("asymmetric signing keys ([auth] signing_keys_path)", () => {
  let project: TempProject;
  let server: TestServer;
  let current: PrivateJwk;
  let standby: PrivateJwk;

  beforeAll(async () => {
    current = await generateSigningKey("ES256");
    standby = await generateSigningKey("RS256");
    project = projectWithKeys(appendStandby([current], standby));
    server = await startTestServer({ projectDir: project.dir });
  });
  afterAll(async () => {
    await server.close();
    project.remove();
  });

  it("publishes the public keys of the set, current first, without private parts", async () => {
    const response = await fetch(`${server.url}/auth/v1/.well-known/jwks.json`);
    expect(response.headers.get("cache-control")).toBe("public, max-age=600");
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(keys.map((key) => [key.kid, key.alg, key.kty])).toEqual([
      [current.kid, "ES256", "EC"],
      [standby.kid, "RS256", "RSA"],
    ]);
    for (const key of keys) {
      expect(key).toMatchObject({ use: "sig", key_ops: ["verify"] });
      for (const secretPart of ["d", "p", "q", "dp", "dq", "qi"]) expect(key).not.toHaveProperty(secretPart);
    }
  });

  it("signs access tokens with the current key (ES256, kid); getClaims verifies them locally", async () => {
    const client = testClient(server.url, WELL_KNOWN_PUBLISHABLE_KEY);
    const { data, error } = await client.auth.signInWithPassword({
      email: "admin@test.local",
      password: SEED_PASSWORD,
    });
    expect(error).toBeNull();
    const token = data.session?.access_token as string;
    expect(decodeProtectedHeader(token)).toEqual({ alg: "ES256", kid: current.kid, typ: "JWT" });
    const claims = await client.auth.getClaims();
    expect(claims.error).toBeNull();
    expect(claims.data?.header).toMatchObject({ alg: "ES256", kid: current.kid });
    expect(claims.data?.claims).toMatchObject({ email: "admin@test.local", role: "authenticated" });
    // The data API and auth's user routes verify it against the key set.
    const rows = await client.from("contacts").select("id");
    expect(rows.error).toBeNull();
    expect(rows.data?.length).toBeGreaterThan(0);
    expect((await client.auth.getUser()).data.user?.email).toBe("admin@test.local");
  });

  it("still trusts tokens signed with the legacy HS256 secret", async () => {
    const service = testClient(server.url, server.serviceRoleKey);
    expect((await service.from("contacts").select("id")).data).toHaveLength(4);
  });

  it("trusts a standby key already, and refuses a key outside the set", async () => {
    const standbyKey = await privateKeyOf(standby);
    const early = await new SignJWT({ role: "service_role" })
      .setProtectedHeader({ alg: "RS256", kid: standby.kid })
      .sign(standbyKey);
    const ok = await fetch(`${server.url}/rest/v1/contacts?select=id`, {
      headers: { apikey: WELL_KNOWN_PUBLISHABLE_KEY, authorization: `Bearer ${early}` },
    });
    expect(await ok.json()).toHaveLength(4);
    const stranger = await generateSigningKey("ES256");
    const forged = await new SignJWT({ role: "service_role" })
      .setProtectedHeader({ alg: "ES256", kid: current.kid })
      .sign(await privateKeyOf(stranger));
    const refused = await fetch(`${server.url}/rest/v1/contacts`, {
      headers: { apikey: WELL_KNOWN_PUBLISHABLE_KEY, authorization: `Bearer ${forged}` },
    });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({
      code: "PGRST301",
      message: "JWT cryptographic operation failed",
    });
    const auth = await fetch(`${server.url}/auth/v1/user`, {
      headers: { apikey: WELL_KNOWN_PUBLISHABLE_KEY, authorization: `Bearer ${forged}` },
    });
    expect(auth.status).toBe(403);
  });
});

describe("rotation: standby -> current -> previous -> revoked", () => {
  it("keeps tokens of the previous key valid until the key is revoked", async () => {
    const first = await generateSigningKey("ES256");
    const second = await generateSigningKey("ES256");
    const project = projectWithKeys([first]);
    const file = path.join(project.dir, "supabase", "signing_keys.json");
    try {
      const oldToken = await new SignJWT({ role: "authenticated", sub: "u" })
        .setProtectedHeader({ alg: "ES256", kid: first.kid })
        .sign(await privateKeyOf(first));
      const verifyWith = async (keys: readonly PrivateJwk[]) => {
        writeKeySet(file, keys);
        const set = readSigningKeys(file);
        return {
          current: set[0]?.kid,
          result: await verifyJwt(
            oldToken,
            verificationKeys({ secret: "x".repeat(32), signingKeys: set }),
          ).catch((e: unknown) => e),
        };
      };
      const withStandby = appendStandby([first], second);
      expect((await verifyWith(withStandby)).current).toBe(first.kid);
      const rotated = promote(withStandby);
      const afterRotation = await verifyWith(rotated);
      expect(afterRotation.current).toBe(second.kid);
      expect(afterRotation.result).toMatchObject({ sub: "u" });
      const afterRevoke = await verifyWith(revoke(rotated, first.kid));
      expect(afterRevoke.result).toBeInstanceOf(JwtError);
      expect((afterRevoke.result as JwtError).reason).toBe("bad_signature");
      expect(() => revoke(rotated, second.kid)).toThrow(/current signing key/);
    } finally {
      project.remove();
    }
  });

  it("groundwork gen signing-key writes, appends, rotates and revokes the configured file", async () => {
    const project = projectWithKeys([]);
    const file = path.join(project.dir, "supabase", "signing_keys.json");
    const read = () => JSON.parse(readFileSync(file, "utf8")) as PrivateJwk[];
    try {
      const written = await runCli(["gen", "signing-key", "--workdir", project.dir]);
      expect(written.code).toBe(0);
      expect(read()).toHaveLength(1);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const again = await runCli(["gen", "signing-key", "--workdir", project.dir]);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain("--append or --overwrite");
      const appended = await runCli([
        "gen",
        "signing-key",
        "--append",
        "--algorithm",
        "RS256",
        "--workdir",
        project.dir,
      ]);
      expect(appended.code).toBe(0);
      const [first, second] = read();
      expect([first?.key_ops, second?.key_ops, second?.kty]).toEqual([["sign", "verify"], ["verify"], "RSA"]);
      expect((await runCli(["gen", "signing-key", "--rotate", "--workdir", project.dir])).code).toBe(0);
      expect(read().map((key) => key.kid)).toEqual([second?.kid, first?.kid]);
      expect(
        (await runCli(["gen", "signing-key", "--revoke", first?.kid as string, "--workdir", project.dir]))
          .code,
      ).toBe(0);
      expect(read().map((key) => key.kid)).toEqual([second?.kid]);
      expect(readSigningKeys(file)[0]?.alg).toBe("RS256");
    } finally {
      project.remove();
    }
  });
});
