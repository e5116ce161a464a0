import path from "node:path";
import { WELL_KNOWN_SECRET_KEY } from "../../config/jwt-keys.js";
import { matchesAny } from "./glob.js";
import { lineAndColumn, readTextFile } from "./text-files.js";
import type { Finding, GuardCheck, GuardContext } from "./types.js";

/** One kind of secret: a pattern, and optionally a test on the match that rules out look-alikes. */
interface SecretKind {
  readonly rule: string;
  readonly what: string;
  readonly pattern: RegExp;
  readonly confirm?: (match: RegExpExecArray) => boolean;
  /** The part of the match to mask in the output (default: all of it; -1: nothing, the match is not secret). */
  readonly secretGroup?: number;
  readonly fix: string;
}

const ROTATE =
  "Remove it from the file and from history (git filter-repo), rotate it, and read it from an environment variable.";

const SECRET_KINDS: readonly SecretKind[] = [
  {
    rule: "secret-service-role-jwt",
    what: "a service_role JWT (it bypasses row-level security)",
    pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{10,}/g,
    // The Supabase CLI's well-known local keys (iss supabase-demo) are public by design.
    confirm: (match) => {
      const claims = jwtClaims(match[0]);
      return claims?.role === "service_role" && claims.iss !== "supabase-demo";
    },
    fix: `${ROTATE} A leaked service_role key needs a new JWT secret.`,
  },
  {
    rule: "secret-api-key",
    what: "an opaque secret API key (sb_secret_…; it acts as service_role)",
    pattern: /\bsb_secret_[A-Za-z0-9_-]{16,}/g,
    // The Supabase CLI's fixed local key is public by design.
    confirm: (match) => match[0] !== WELL_KNOWN_SECRET_KEY,
    fix: `${ROTATE} Configure a new secret key (groundwork gen api-keys), then drop the leaked one.`,
  },
  {
    rule: "secret-private-key",
    what: "a private key",
    pattern: /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----/g,
    secretGroup: -1,
    fix: ROTATE,
  },
  {
    rule: "secret-database-url",
    what: "a database URL with a password",
    pattern: /\bpostgres(?:ql)?:\/\/[^\s:/@'"`\\]+:([^\s@/'"`\\]+)@[^\s'"`\\]+/dg,
    confirm: (match) => !isPlaceholder(match[1] ?? ""),
    secretGroup: 1,
    fix: `${ROTATE} Local defaults (postgres:postgres@localhost) are not reported.`,
  },
  {
    rule: "secret-jwt-secret",
    what: "a JWT secret",
    pattern: /\b(?:[A-Z0-9_]*JWT_SECRET|jwt_secret)\b\s*[:=]\s*["']?([^\s"'#`]{16,})/dg,
    // A value with code punctuation is an expression (`config.auth.jwtSecret`), not a secret.
    confirm: (match) => !isPlaceholder(match[1] ?? "") && !/[.()[\]{}$,;]/.test(match[1] ?? ""),
    secretGroup: 1,
    fix: `${ROTATE} Every token signed with it must be considered forged-able.`,
  },
];

/** Secrets that must never be committed; values are masked in every finding. */
export const secretsCheck: GuardCheck = {
  id: "secrets",
  what: "No service_role JWT, opaque secret API key, private key, database URL with a password or JWT secret in a tracked file, and no tracked .env file (templates such as .env.example are allowed).",
  why: "Anything pushed to a remote is public to everyone with read access, forever; a service_role key or JWT secret bypasses every RLS policy.",
  fix: ROTATE,
  run: checkSecrets,
};

/**
 * The marker that allows a line's secret, as gitleaks' `gitleaks:allow` (which is honoured too,
 * so a repository scanned by both needs one marker): for fixtures and documented fakes.
 */
const ALLOW_MARKER = /\b(?:groundwork|gitleaks):allow\b/;

function checkSecrets(context: GuardContext): Finding[] {
  const findings: Finding[] = [];
  const { allowlist } = context.config;
  const allowed = allowlist.regexes.map((pattern) => new RegExp(pattern));
  for (const file of context.files) {
    if (isEnvFile(file)) {
      findings.push({
        rule: "secret-env-file",
        level: "ERROR",
        file,
        line: null,
        message: `${file} is tracked by git (or not ignored, so the next git add -A commits it); .env files hold real keys.`,
        fix: `git rm --cached ${file}, add it to .gitignore, commit a ${file}.example with placeholders instead.`,
      });
    }
    if (matchesAny(file, allowlist.paths)) continue;
    const text = readTextFile(context.root, file);
    if (text === null) continue;
    for (const kind of SECRET_KINDS) {
      for (const match of text.matchAll(kind.pattern)) {
        if (kind.confirm && !kind.confirm(match as RegExpExecArray)) continue;
        if (allowed.some((regex) => regex.test(match[0]))) continue;
        if (ALLOW_MARKER.test(lineAt(text, match.index ?? 0))) continue;
        const shown = maskMatch(match, kind.secretGroup ?? 0);
        const line = lineAndColumn(text, match.index ?? 0).line;
        findings.push({
          rule: kind.rule,
          level: "ERROR",
          file,
          line,
          message: `${file}:${line}: ${kind.what}: ${shown}`,
          fix: kind.fix,
        });
      }
    }
  }
  return findings;
}

/** The whole line holding `offset`. */
function lineAt(text: string, offset: number): string {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  const end = text.indexOf("\n", offset);
  return text.slice(start, end === -1 ? text.length : end);
}

/** The match with its secret group masked in place (by position, not by searching for the text). */
function maskMatch(match: RegExpMatchArray, group: number): string {
  if (group < 0) return match[0];
  const secret = match[group];
  const span = match.indices?.[group];
  if (secret === undefined || !span) return maskSecret(match[0]);
  const start = span[0] - (match.index ?? 0);
  return `${match[0].slice(0, start)}${maskSecret(secret)}${match[0].slice(start + secret.length)}`;
}

/** `.env`, `.env.local`, `prod.env`... but not templates. */
export function isEnvFile(file: string): boolean {
  const base = path.posix.basename(file);
  if (/\.(example|sample|template|dist|defaults)$/.test(base)) return false;
  return base === ".env" || base.startsWith(".env.") || base.endsWith(".env");
}

/** A JWT's payload claims (the signature is not checked), or null when it does not decode. */
export function jwtClaims(token: string): Record<string, unknown> | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    return typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Shows the first 4 characters only, so the output itself never leaks the secret. */
export function maskSecret(secret: string): string {
  return secret.length <= 8 ? "****" : `${secret.slice(0, 4)}****`;
}

function isPlaceholder(value: string): boolean {
  return (
    /^(?:postgres|password|pass|secret|changeme|xxx+|\*+|<[^>]*>|\$\{[^}]*\}|\$[A-Z_]+|your[-_].*|example.*)$/i.test(
      value,
    ) || value.includes("super-secret-jwt-token-with-at-least-32-characters")
  );
}
