import { SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { WELL_KNOWN_ANON_KEY, WELL_KNOWN_JWT_SECRET } from "../../src/config/jwt-keys.js";
import { JwtError, verifyJwt } from "../../src/request/jwt.js";

const secret = WELL_KNOWN_JWT_SECRET;
const key = new TextEncoder().encode(secret);
const now = () => Math.floor(Date.now() / 1000);

async function sign(claims: Record<string, unknown>, signingKey = key): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(signingKey);
}

async function rejection(token: string): Promise<JwtError> {
  const error = await verifyJwt(token, secret).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(JwtError);
  return error as JwtError;
}

describe("verifyJwt", () => {
  it("accepts the well-known anon key and a fresh user token", async () => {
    expect(await verifyJwt(WELL_KNOWN_ANON_KEY, secret)).toMatchObject({
      role: "anon",
      iss: "supabase-demo",
    });
    const token = await sign({ sub: "u1", role: "authenticated", exp: now() + 60 });
    expect(await verifyJwt(token, secret)).toMatchObject({ sub: "u1", role: "authenticated" });
  });

  it.each([
    ["", "PGRST301", "Empty JWT is sent in Authorization header"],
    ["abc", "PGRST301", "Expected 3 parts in JWT; got 1"],
    ["a.b", "PGRST301", "Expected 3 parts in JWT; got 2"],
    ["a.b.c", "PGRST301", "JWT couldn't be decoded"],
  ])("refuses %j with PostgREST's wording", async (token, code, message) => {
    const error = await rejection(token);
    expect([error.code, error.message]).toEqual([code, message]);
  });

  it("refuses a token signed with another secret", async () => {
    const token = await sign(
      { role: "service_role" },
      new TextEncoder().encode("another-secret-of-at-least-32-characters!!"),
    );
    const error = await rejection(token);
    expect([error.code, error.message]).toEqual(["PGRST301", "JWT cryptographic operation failed"]);
  });

  it("refuses alg none", async () => {
    const token = new UnsecuredJWT({ role: "service_role" }).encode();
    const error = await rejection(token);
    expect([error.code, error.message]).toEqual(["PGRST301", "Wrong or unsupported encoding algorithm"]);
  });

  it("refuses expired tokens beyond 30 s of clock skew, and accepts within it", async () => {
    const expired = await sign({ role: "authenticated", exp: now() - 31 });
    const error = await rejection(expired);
    expect([error.code, error.message]).toEqual(["PGRST303", "JWT expired"]);
    expect(await verifyJwt(await sign({ role: "authenticated", exp: now() - 20 }), secret)).toMatchObject({
      role: "authenticated",
    });
  });

  it("refuses tokens not yet valid or issued in the future", async () => {
    expect((await rejection(await sign({ nbf: now() + 120 }))).message).toBe("JWT not yet valid");
    expect((await rejection(await sign({ iat: now() + 120 }))).message).toBe("JWT issued at future");
  });

  it("refuses a non-numeric exp", async () => {
    const error = await rejection(await sign({ exp: "tomorrow" }));
    expect([error.code, error.message]).toEqual(["PGRST303", "The JWT 'exp' claim must be a number"]);
  });
});
