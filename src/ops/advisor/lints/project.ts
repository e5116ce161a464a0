import { CLIENT_PREFIXES, clientPrefix, maskValue, readEnvEntries, secretKind } from "../env-files.js";
import type { LintDefinition, RawFinding } from "../types.js";

const DOCS = "https://supabase.com/docs/guides/database/database-linter?lint=";

/** Lints on the project's files, its configuration and its storage buckets. */
export const projectLints: readonly LintDefinition[] = [
  {
    name: "client_env_secret",
    code: "GW",
    level: "ERROR",
    categories: ["SECURITY"],
    title: "Secret in a client-side environment variable",
    why: `Variables prefixed ${CLIENT_PREFIXES.join(", ")} are compiled into the browser or app bundle, where anyone can read them. The service_role key bypasses row-level security; the JWT secret signs any token; a database password opens the database itself.`,
    fix: "Remove it from the client-side variable (only the anon key and the API URL belong there), keep it in a server-side variable without the prefix, and rotate it: it has already been shipped.",
    check: {
      run: async (context) => {
        const findings: RawFinding[] = [];
        for (const entry of readEnvEntries(context.config.projectDir)) {
          const prefix = clientPrefix(entry.key);
          if (prefix === null) continue;
          const kind = secretKind(entry.key, entry.value, context.config.jwt.secret);
          if (kind === null) continue;
          findings.push({
            object: `${entry.file} ${entry.key}`,
            detail: `${entry.file} line ${entry.line}: ${entry.key} holds the ${kind} (${maskValue(entry.value, kind)}), and ${prefix} variables ship to the client.`,
            cacheKey: `client_env_secret_${entry.file}_${entry.key}`,
            metadata: { file: entry.file, line: entry.line, key: entry.key, kind },
          });
        }
        return findings;
      },
    },
  },
  {
    name: "auth_allow_anonymous_sign_ins",
    code: "0012",
    level: "INFO",
    categories: ["SECURITY"],
    title: "Anonymous sign-ins are enabled",
    why: "Anonymous users get the authenticated role: every policy written `to authenticated` admits them too, unless it checks the is_anonymous claim.",
    fix: "Check (select (auth.jwt() ->> 'is_anonymous')::boolean) is false in policies meant for real accounts (a RESTRICTIVE policy does it for a whole table), or set [auth] enable_anonymous_sign_ins = false.",
    remediation: `${DOCS}0012_auth_allow_anonymous_sign_ins`,
    check: {
      run: async (context) =>
        context.config.auth.enableAnonymousSignIns
          ? [
              {
                object: "[auth] enable_anonymous_sign_ins",
                detail:
                  "supabase/config.toml enables anonymous sign-ins: anonymous users pass every policy written for authenticated.",
                cacheKey: "auth_allow_anonymous_sign_ins",
              },
            ]
          : [],
    },
  },
  {
    name: "public_bucket_allows_listing",
    code: "0025",
    level: "WARN",
    categories: ["SECURITY"],
    title: "Public bucket with a policy that lists it",
    why: "Objects of a public bucket are downloadable by URL without any policy; a broad SELECT policy on storage.objects for it also lets clients list every file in it.",
    fix: "Drop the SELECT policy (public URLs keep working), or narrow it to the files a caller owns.",
    remediation: `${DOCS}0025_public_bucket_allows_listing`,
    check: {
      requires: "storage.buckets",
      sql: `
        select format('bucket %s', b.id) as object,
               format('Public bucket %s has broad SELECT %s on storage.objects (%s): clients can list all its files.',
                      b.id, case when count(*) = 1 then 'policy' else 'policies' end,
                      string_agg(quote_ident(p.polname), ', ' order by p.polname)) as detail,
               format('public_bucket_allows_listing_%s', b.id) as cache_key,
               jsonb_build_object('type', 'bucket', 'name', b.id, 'policies', array_agg(p.polname order by p.polname)) as metadata
        from storage.buckets b
        join pg_catalog.pg_policy p on p.polrelid = 'storage.objects'::regclass
        where b.public and p.polpermissive and p.polcmd in ('r', '*')
          and (p.polroles = '{0}'::oid[] or exists (select from unnest(p.polroles) as pr (oid)
                 join pg_catalog.pg_roles rr on rr.oid = pr.oid where rr.rolname = any($2::text[])))
          and (p.polqual is null
               or regexp_replace(lower(pg_catalog.pg_get_expr(p.polqual, p.polrelid)), '[\\s()]', '', 'g')
                  in ('true', '1=1', 'bucket_id=' || lower(quote_literal(b.id)) || '::text'))
        group by b.id
        order by 1`,
    },
  },
];
