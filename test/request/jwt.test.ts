import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { WELL_KNOWN_ANON_KEY, WELL_KNOWN_JWT_SECRET } from "../../src/config/jwt-keys.js";
import type { SigningKey } from "../../src/config/types.js";
import { JwtError, type TokenErrorReason, verifyJwt } from "../../src/request/jwt.js";
import { verificationKeys } from "../../src/request/verification-keys.js";
import { gotrueTokenError } from "../../src/services/auth/token-errors.js";
import { postgrestTokenError } from "../../src/services/rest/errors.js";

const secret = WELL_KNOWN_JWT_SECRET;
const keys = verificationKeys({ secret });
const key = new TextEncoder().encode(secret);
const now = () => Math.floor(Date.now() / 1000);

async function sign(claims: Record<string, unknown>, signingKey = key): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(signingKey);
}

async function rejection(token: string, using = keys): Promise<JwtError> {
  const error = await verifyJwt(token, using).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(JwtError);
  return error as JwtError;
}

/** The reason, and how PostgREST and GoTrue word it. */
async function refusal(token: string, using = keys) {
  const error = await rejection(token, using);
  const rest = postgrestTokenError(error).body;
  return { reason: error.reason, rest: [rest.code, rest.message], gotrue: gotrueTokenError(error).message };
}

describe("verifyJwt", () => {
  it("accepts the well-known anon key and a fresh user token", async () => {
    expect(await verifyJwt(WELL_KNOWN_ANON_KEY, keys)).toMatchObject({ role: "anon", iss: "supabase-demo" });
    const token = await sign({ sub: "u1", role: "authenticated", exp: now() + 60 });
    expect(await verifyJwt(token, keys)).toMatchObject({ sub: "u1", role: "authenticated" });
  });

  it.each<[string, TokenErrorReason, string, string, string]>([
    ["", "missing", "PGRST301", "Empty JWT is sent in Authorization header", "invalid number of segments"],
    ["abc", "malformed", "PGRST301", "Expected 3 parts in JWT; got 1", "invalid number of segments"],
    ["a.b", "malformed", "PGRST301", "Expected 3 parts in JWT; got 2", "invalid number of segments"],
    ["a.b.c", "malformed", "PGRST301", "JWT couldn't be decoded", "could not JSON decode the token"],
  ])("refuses %j as %s, worded by each protocol", async (token, reason, code, message, gotrue) => {
    const result = await refusal(token);
    expect(result.reason).toBe(reason);
    expect(result.rest).toEqual([code, message]);
    expect(result.gotrue).toContain(gotrue);
  });

  it("refuses a token signed with another secret", async () => {
    const token = await sign(
      { role: "service_role" },
      new TextEncoder().encode("another-secret-of-at-least-32-characters!!"),
    );
    expect(await refusal(token)).toEqual({
      reason: "bad_signature",
      rest: ["PGRST301", "JWT cryptographic operation failed"],
      gotrue:
        "invalid JWT: unable to parse or verify signature, token signature is invalid: signature is invalid",
    });
  });

  it("refuses alg none, and ES256 when no signing key is configured", async () => {
    const none = new UnsecuredJWT({ role: "service_role" }).encode();
    expect(await refusal(none)).toMatchObject({
      reason: "bad_algorithm",
      rest: ["PGRST301", "Wrong or unsupported encoding algorithm"],
    });
    const { privateKey } = await generateKeyPair("ES256");
    const es = await new SignJWT({ role: "service_role" })
      .setProtectedHeader({ alg: "ES256" })
      .sign(privateKey);
    expect((await refusal(es)).reason).toBe("bad_algorithm");
  });

  it("refuses expired tokens beyond 30 s of clock skew, and accepts within it", async () => {
    expect(await refusal(await sign({ role: "authenticated", exp: now() - 31 }))).toEqual({
      reason: "expired",
      rest: ["PGRST303", "JWT expired"],
      gotrue: "invalid JWT: unable to parse or verify signature, token has invalid claims: token is expired",
    });
    expect(await verifyJwt(await sign({ role: "authenticated", exp: now() - 20 }), keys)).toMatchObject({
      role: "authenticated",
    });
  });

  it("refuses tokens not yet valid or issued in the future", async () => {
    expect(await refusal(await sign({ nbf: now() + 120 }))).toMatchObject({
      reason: "not_yet_valid",
      rest: ["PGRST303", "JWT not yet valid"],
    });
    expect(await refusal(await sign({ iat: now() + 120 }))).toMatchObject({
      reason: "issued_in_future",
      rest: ["PGRST303", "JWT issued at future"],
    });
  });

  it("refuses a non-numeric exp", async () => {
    expect(await refusal(await sign({ exp: "tomorrow" }))).toMatchObject({
      reason: "invalid_claims",
      rest: ["PGRST303", "The JWT 'exp' claim must be a number"],
    });
  });
});

describe("verifyJwt with a signing key set", () => {
  async function setOf(alg: "ES256" | "RS256", kid: string) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig", key_ops: ["verify"] };
    const signingKey: SigningKey = { kid, alg, privateJwk: await exportJWK(privateKey), publicJwk };
    return { privateKey, signingKey };
  }

  it("verifies ES256 and RS256 by kid, and the HS256 secret beside them", async () => {
    const es = await setOf("ES256", "es-1");
    const rs = await setOf("RS256", "rs-1");
    const set = verificationKeys({ secret, signingKeys: [es.signingKey, rs.signingKey] });
    const esToken = await new SignJWT({ sub: "a", role: "authenticated" })
      .setProtectedHeader({ alg: "ES256", kid: "es-1", typ: "JWT" })
      .sign(es.privateKey);
    const rsToken = await new SignJWT({ sub: "b", role: "authenticated" })
      .setProtectedHeader({ alg: "RS256", kid: "rs-1", typ: "JWT" })
      .sign(rs.privateKey);
    expect(await verifyJwt(esToken, set)).toMatchObject({ sub: "a" });
    expect(await verifyJwt(rsToken, set)).toMatchObject({ sub: "b" });
    expect(await verifyJwt(WELL_KNOWN_ANON_KEY, set)).toMatchObject({ role: "anon" });
  });

  it("refuses an unknown kid and a token signed by a key outside the set", async () => {
    const inSet = await setOf("ES256", "kept");
    const outside = await setOf("ES256", "kept");
    const set = verificationKeys({ secret, signingKeys: [inSet.signingKey] });
    const unknownKid = await new SignJWT({ role: "service_role" })
      .setProtectedHeader({ alg: "ES256", kid: "revoked" })
      .sign(inSet.privateKey);
    expect((await refusal(unknownKid, set)).reason).toBe("bad_signature");
    const forged = await new SignJWT({ role: "service_role" })
      .setProtectedHeader({ alg: "ES256", kid: "kept" })
      .sign(outside.privateKey);
    expect(await refusal(forged, set)).toMatchObject({
      reason: "bad_signature",
      rest: ["PGRST301", "JWT cryptographic operation failed"],
    });
  });
});
