import { SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WELL_KNOWN_JWT_SECRET } from "../../src/config/jwt-keys.js";
import type { JwtKeys } from "../../src/config/types.js";
import { resolveCredentials } from "../../src/request/caller.js";
import { JwtError, verifyJwt } from "../../src/request/jwt.js";
import { verificationKeys } from "../../src/request/verification-keys.js";

const secret = WELL_KNOWN_JWT_SECRET;
const now = () => Math.floor(Date.now() / 1000);

function sign(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(secret));
}

// Verified tokens are remembered by their exact text, and never past their exp (+30 s of skew)
// nor past a minute: the cache spares the signature check, never the expiry.
describe("the verified token cache", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("refuses a cached token once its exp has passed, as an uncached one would be", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const jwt = { secret } as unknown as JwtKeys;
    const keys = verificationKeys(jwt);
    const token = await sign({ sub: "ü-1 🎫", role: "authenticated", exp: now() + 10 });
    expect(await verifyJwt(token, keys)).toMatchObject({ sub: "ü-1 🎫" });
    expect(keys.cache.get(token)).not.toBeNull();
    // Within the 30 s of skew the cached claims still serve, through the server's caller too.
    vi.setSystemTime(Date.now() + 35_000);
    expect(keys.cache.get(token)).not.toBeNull();
    expect(await resolveCredentials(token, null, jwt)).toMatchObject({ role: "authenticated" });
    vi.setSystemTime(Date.now() + 10_000);
    expect(keys.cache.get(token)).toBeNull();
    const error = await verifyJwt(token, keys).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JwtError);
    expect((error as JwtError).reason).toBe("expired");
    expect(await resolveCredentials(token, null, jwt)).toBeInstanceOf(JwtError);
  });

  it("keeps a token without exp at most a minute, then checks its signature again", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const keys = verificationKeys({ secret });
    const token = await sign({ role: "service_role" });
    await verifyJwt(token, keys);
    expect(keys.cache.get(token)).not.toBeNull();
    vi.setSystemTime(Date.now() + 61_000);
    expect(keys.cache.get(token)).toBeNull();
    expect(await verifyJwt(token, keys)).toMatchObject({ role: "service_role" });
  });

  it("is keyed by the exact token: an altered copy of a cached token is verified, and refused", async () => {
    const keys = verificationKeys({ secret });
    const token = await sign({ role: "authenticated", exp: now() + 60 });
    await verifyJwt(token, keys);
    // A character well inside the signature (the last one carries padding bits).
    const at = token.length - 10;
    const altered = `${token.slice(0, at)}${token[at] === "A" ? "B" : "A"}${token.slice(at + 1)}`;
    expect(keys.cache.get(altered)).toBeNull();
    const error = await verifyJwt(altered, keys).catch((e: unknown) => e);
    expect((error as JwtError).reason).toBe("bad_signature");
  });
});
