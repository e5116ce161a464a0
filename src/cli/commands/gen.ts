import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import { SUPABASE_CONFIG_FILE } from "../../config/index.js";
import { generateApiKey } from "../../ops/keys/api-keys.js";
import {
  appendStandby,
  generateSigningKey,
  promote,
  readKeySet,
  revoke,
  type SigningAlgorithm,
  writeKeySet,
} from "../../ops/keys/signing-keys.js";
import { parseCommandArgs } from "../args.js";
import { note, print } from "../output.js";
import { UsageError } from "../usage-error.js";

export const genHelp = `Generate keys (docs/cli/gen.md).

Usage:
  groundwork gen signing-key [--algorithm ES256|RS256] [--append | --overwrite] [--workdir DIR]
  groundwork gen signing-key --rotate [KID] | --revoke KID [--workdir DIR]
  groundwork gen api-keys [--secret-keys N]

signing-key   a private JWK for [auth] signing_keys_path (as \`supabase gen signing-key\`). Without
              signing_keys_path in supabase/config.toml it is printed; with it, written there.
  --algorithm   ES256 (default) or RS256
  --append      add a standby key: published in the JWKS and trusted, not yet signing
  --overwrite   replace an existing key set with one new key
  --rotate      the standby key KID (default: the last added) signs from now on; the current
                key stays trusted as a previous key
  --revoke KID  remove a previous or standby key; tokens it signed stop verifying
api-keys      new opaque keys for production, printed as environment variables: one
              publishable key and N secret keys (default 1); several secret keys let you revoke
              one while the others serve. Restart the server to apply a change of keys.`;

/** `groundwork gen`. */
export async function genCommand(argv: readonly string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what === "signing-key") return signingKey(rest);
  if (what === "api-keys") return apiKeys(rest);
  if (what === undefined || what === "--help" || what === "-h") {
    print(genHelp);
    return what === undefined ? 2 : 0;
  }
  throw new UsageError(`unknown gen target ${JSON.stringify(what)} (signing-key or api-keys)`);
}

async function signingKey(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      algorithm: { type: "string" },
      append: { type: "boolean" },
      overwrite: { type: "boolean" },
      rotate: { type: "boolean" },
      revoke: { type: "string" },
    },
    { max: 1 },
  );
  if (values.help) {
    print(genHelp);
    return 0;
  }
  const algorithm = (values.algorithm ?? "ES256").toUpperCase();
  if (algorithm !== "ES256" && algorithm !== "RS256") {
    throw new UsageError(`--algorithm must be ES256 or RS256 (got ${JSON.stringify(values.algorithm)})`);
  }
  const modes = [values.append, values.overwrite, values.rotate, values.revoke !== undefined].filter(Boolean);
  if (modes.length > 1) throw new UsageError("use one of --append, --overwrite, --rotate, --revoke");
  if (positionals.length > 0 && !values.rotate)
    throw new UsageError(`unexpected argument: ${positionals[0]}`);
  const file = signingKeysPath(path.resolve(values.workdir ?? process.cwd()));
  if (file === null) {
    if (values.rotate || values.revoke !== undefined) {
      throw new UsageError("--rotate and --revoke need [auth] signing_keys_path in supabase/config.toml");
    }
    print(JSON.stringify(await generateSigningKey(algorithm as SigningAlgorithm), null, 2));
    note(
      "To sign tokens with it, save it as a JSON array in supabase/signing_keys.json and set\n" +
        '  [auth]\n  signing_keys_path = "./signing_keys.json"\nin supabase/config.toml (and keep the file out of version control).',
    );
    return 0;
  }
  const keys = readKeySet(file);
  if (values.rotate) {
    const next = promote(keys, positionals[0]);
    writeKeySet(file, next);
    note(
      `Key ${next[0]?.kid} signs new tokens; ${next[1]?.kid} stays trusted as a previous key. Restart to apply.`,
    );
    return 0;
  }
  if (values.revoke !== undefined) {
    writeKeySet(file, revoke(keys, values.revoke));
    note(`Revoked ${values.revoke}. Restart to apply.`);
    return 0;
  }
  if (keys.length > 0 && !values.append && !values.overwrite) {
    throw new UsageError(`${file} already holds ${keys.length} key(s): pass --append or --overwrite`);
  }
  const key = await generateSigningKey(algorithm as SigningAlgorithm);
  const next = values.append ? appendStandby(keys, key) : [key];
  writeKeySet(file, next);
  note(
    next.length === 1
      ? `Wrote signing key ${key.kid} to ${file}. Keep this file out of version control.`
      : `Added standby key ${key.kid} to ${file} (now ${next.length} keys); \`groundwork gen signing-key --rotate\` makes it current.`,
  );
  return 0;
}

/** `[auth] signing_keys_path`, resolved against supabase/ as the Supabase CLI does; null when unset. */
function signingKeysPath(projectDir: string): string | null {
  const configFile = path.join(projectDir, SUPABASE_CONFIG_FILE);
  if (!existsSync(configFile)) return null;
  const parsed = parseToml(readFileSync(configFile, "utf8")) as { auth?: { signing_keys_path?: unknown } };
  const configured = parsed.auth?.signing_keys_path;
  if (typeof configured !== "string" || configured.trim() === "") return null;
  return path.resolve(projectDir, "supabase", configured);
}

async function apiKeys(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { "secret-keys": { type: "string" } });
  if (values.help) {
    print(genHelp);
    return 0;
  }
  const count = Number(values["secret-keys"] ?? "1");
  if (!Number.isInteger(count) || count < 1 || count > 10) {
    throw new UsageError(`--secret-keys must be a number from 1 to 10 (got ${values["secret-keys"]})`);
  }
  const secrets = Array.from({ length: count }, () => generateApiKey("secret"));
  print(`GROUNDWORK_PUBLISHABLE_KEYS=${generateApiKey("publishable")}`);
  print(`GROUNDWORK_SECRET_KEYS=${secrets.join(",")}`);
  note("Keep the secret keys in your secret store; they act as service_role. docs/auth.md: API keys.");
  return 0;
}
