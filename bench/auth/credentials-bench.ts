/**
 * What resolving a request's credentials costs (src/request/caller.ts `resolveCredentials`), per
 * call, beside a baseline measured in the same run: the bare signature check the verification
 * cannot avoid (an HMAC-SHA256 for HS256 tokens, jose's ES256 verify with an imported key), and a
 * plain Map lookup for the opaque keys. Tokens are signed fresh for the "uncached" rows, so each
 * is verified once; the "cached" rows send one token again and again, as a client does.
 *
 * Run: npx tsx bench/auth/credentials-bench.ts [milliseconds per measurement, default 1500]
 */
import { createHmac } from "node:crypto";
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT } from "jose";
import { jwtKeysFor, WELL_KNOWN_PUBLISHABLE_KEY, WELL_KNOWN_SECRET_KEY } from "../../src/config/jwt-keys.js";
import type { SigningKey } from "../../src/config/types.js";
import { resolveCredentials } from "../../src/request/caller.js";

const MS = Number(process.argv[2] ?? 1500);

async function perSecond(task: (i: number) => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < 200; i++) await task(i);
  const start = performance.now();
  let count = 0;
  while (performance.now() - start < MS) {
    await task(count);
    count++;
  }
  return (count * 1000) / (performance.now() - start);
}

const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
const signingKey: SigningKey = {
  kid: "bench",
  alg: "ES256",
  privateJwk: await exportJWK(privateKey),
  publicJwk: { ...(await exportJWK(publicKey)), kid: "bench", alg: "ES256" },
};
const keys = await jwtKeysFor(null, { signingKeys: [signingKey] });
const secret = new TextEncoder().encode(keys.secret);
const publicCrypto = await importJWK(signingKey.publicJwk as never, "ES256");
const exp = Math.floor(Date.now() / 1000) + 3600;

const hsTokens = await Promise.all(
  Array.from({ length: 40_000 }, (_, i) =>
    new SignJWT({ sub: `u${i}`, role: "authenticated", exp })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(secret),
  ),
);
const esTokens = await Promise.all(
  Array.from({ length: 12_000 }, (_, i) =>
    new SignJWT({ sub: `u${i}`, role: "authenticated", exp })
      .setProtectedHeader({ alg: "ES256", kid: "bench", typ: "JWT" })
      .sign(privateKey),
  ),
);
const hmacInputs = hsTokens.map((token) => token.slice(0, token.lastIndexOf(".")));
const map = new Map([[WELL_KNOWN_SECRET_KEY, "service_role"]]);

const rows: [string, number, string, number][] = [
  [
    "opaque secret key (sb_secret_)",
    await perSecond(() => resolveCredentials(null, WELL_KNOWN_SECRET_KEY, keys)),
    "Map lookup",
    await perSecond(() => map.get(WELL_KNOWN_SECRET_KEY)),
  ],
  [
    "HS256 token, cached (same token)",
    await perSecond(() => resolveCredentials(keys.anonKey, WELL_KNOWN_PUBLISHABLE_KEY, keys)),
    "HMAC-SHA256",
    await perSecond((i) =>
      createHmac("sha256", keys.secret)
        .update(hmacInputs[i % hmacInputs.length] as string)
        .digest(),
    ),
  ],
  [
    "HS256 token, uncached (fresh tokens)",
    await perSecond((i) => resolveCredentials(hsTokens[i % hsTokens.length] as string, null, keys)),
    "HMAC-SHA256",
    await perSecond((i) =>
      createHmac("sha256", keys.secret)
        .update(hmacInputs[i % hmacInputs.length] as string)
        .digest(),
    ),
  ],
  [
    "ES256 token, uncached (fresh tokens)",
    await perSecond((i) => resolveCredentials(esTokens[i % esTokens.length] as string, null, keys)),
    "jose ES256 verify",
    await perSecond((i) => jwtVerify(esTokens[i % esTokens.length] as string, publicCrypto)),
  ],
];
console.log(`Credentials per second, one core, ${MS} ms each (node ${process.version})`);
for (const [what, ours, baseline, base] of rows) {
  console.log(
    `${what.padEnd(38)} ${Math.round(ours).toString().padStart(9)}/s   ${baseline.padEnd(18)} ${Math.round(base).toString().padStart(9)}/s   ratio ${(ours / base).toFixed(2)}`,
  );
}
