import type pg from "pg";
import type { TestUserConfig } from "../../config/index.js";
import {
  hashPassword,
  insertUser,
  updateUserColumns,
  upsertEmailIdentity,
  verifyPassword,
} from "../../services/auth/index.js";
import type { SeededUser } from "./types.js";
import { uuidV5 } from "./uuid-v5.js";

interface ExistingUser {
  id: string;
  email: string;
  encrypted_password: string | null;
  confirmed: boolean;
  has_identity: boolean;
}

/**
 * Creates the test users as GoTrue's admin API does (auth.users with a `$2a$` bcrypt hash at the
 * configured cost, an `email` identity, email confirmed, `user_metadata` {full_name, role}), with
 * id `uuid_v5(ns_dns, email)` as seed 001 and seed.sql make them. A user that exists with that
 * email is adopted: only a missing identity, a missing confirmation or a password that no longer
 * matches is fixed, so a second run writes nothing. The password is hashed once, and only if needed.
 */
export async function ensureAuthUsers(
  client: pg.ClientBase,
  users: readonly TestUserConfig[],
  password: string,
  hashCost: number,
): Promise<SeededUser[]> {
  const { rows } = await client.query<ExistingUser>(
    `select u.id, lower(u.email) as email, u.encrypted_password, u.email_confirmed_at is not null as confirmed,
            exists (select 1 from auth.identities i where i.user_id = u.id and i.provider = 'email') as has_identity
     from auth.users u where lower(u.email) = any($1::text[]) and u.is_sso_user = false`,
    [users.map((user) => user.email.toLowerCase())],
  );
  const existing = new Map(rows.map((row) => [row.email, row]));
  const stale = await Promise.all(
    users.map(async (user) => {
      const found = existing.get(user.email.toLowerCase());
      return found !== undefined && !(await verifyPassword(password, found.encrypted_password));
    }),
  );
  let hash: Promise<string> | null = null;
  const passwordHash = () => {
    hash ??= hashPassword(password, hashCost);
    return hash;
  };
  const seeded: SeededUser[] = [];
  for (const [index, user] of users.entries()) {
    const found = existing.get(user.email.toLowerCase());
    const base = {
      key: user.key,
      email: user.email,
      role: user.role,
      fullName: user.fullName,
      counts: user.counts,
    };
    if (!found) {
      const id = uuidV5(user.email.toLowerCase());
      await insertUser(client, {
        id,
        aud: "authenticated",
        role: "authenticated",
        email: user.email.toLowerCase(),
        phone: null,
        encryptedPassword: await passwordHash(),
        appMetadata: { provider: "email", providers: ["email"] },
        userMetadata: { full_name: user.fullName, role: user.role },
        isAnonymous: false,
        confirmed: true,
        bannedUntilSeconds: null,
      });
      seeded.push({ ...base, id, auth: "created" });
      continue;
    }
    const changes: Record<string, unknown> = {};
    if (stale[index]) changes.encrypted_password = await passwordHash();
    if (!found.confirmed) changes.email_confirmed_at = true;
    await updateUserColumns(client, found.id, changes);
    if (!found.has_identity) await upsertEmailIdentity(client, found.id, found.email, true);
    const changed = Object.keys(changes).length > 0 || !found.has_identity;
    seeded.push({ ...base, id: found.id, auth: changed ? "updated" : "unchanged" });
  }
  return seeded;
}
