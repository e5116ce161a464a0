import type { AuthenticationMethod } from "../types.js";
import type { Queryable } from "./queryable.js";

/** A PKCE flow waiting for its code to be exchanged (`auth.flow_state`). */
export interface FlowStateRow {
  readonly id: string;
  readonly user_id: string | null;
  readonly code_challenge_method: "s256" | "plain";
  readonly code_challenge: string;
  readonly provider_type: string;
  readonly authentication_method: AuthenticationMethod;
  readonly created_at: Date;
  readonly auth_code_issued_at: Date | null;
}

/** GoTrue's `generateFlowState`: a new flow with its auth code (a UUID), issued later by `/verify`. */
export async function insertFlowState(
  sql: Queryable,
  flow: {
    readonly userId: string;
    readonly providerType: string;
    readonly method: AuthenticationMethod;
    readonly challengeMethod: "s256" | "plain";
    readonly challenge: string;
  },
): Promise<void> {
  await sql.query(
    `insert into auth.flow_state (id, user_id, auth_code, code_challenge_method, code_challenge, provider_type,
                                  authentication_method, created_at, updated_at)
     values (gen_random_uuid(), $1, gen_random_uuid()::text, $2::auth.code_challenge_method, $3, $4, $5, now(), now())`,
    [flow.userId, flow.challengeMethod, flow.challenge, flow.providerType, flow.method],
  );
}

/**
 * GoTrue's `issueAuthCode`: the user's newest flow for `method` gets its issue time stamped and
 * its code returned; null when there is none.
 */
export async function issueAuthCode(
  sql: Queryable,
  userId: string,
  method: AuthenticationMethod,
): Promise<string | null> {
  const { rows } = await sql.query<{ auth_code: string }>(
    `update auth.flow_state set auth_code_issued_at = now(), updated_at = now()
     where id = (select id from auth.flow_state where user_id = $1 and authentication_method = $2
                 order by created_at desc limit 1)
     returning auth_code`,
    [userId, method],
  );
  return rows[0]?.auth_code ?? null;
}

/** The flow holding `authCode`, row-locked so two exchanges of one code cannot both succeed. */
export async function lockFlowStateByAuthCode(
  sql: Queryable,
  authCode: string,
): Promise<FlowStateRow | null> {
  const { rows } = await sql.query<FlowStateRow>(
    `select id, user_id, code_challenge_method::text as code_challenge_method, code_challenge, provider_type,
            authentication_method, created_at, auth_code_issued_at
     from auth.flow_state where auth_code = $1 limit 1 for update`,
    [authCode],
  );
  return rows[0] ?? null;
}

export async function deleteFlowState(sql: Queryable, id: string): Promise<void> {
  await sql.query("delete from auth.flow_state where id = $1", [id]);
}
