import type pg from "pg";
import type { RequestContext } from "../../../db/context.js";
import { LIMITS } from "../limits.js";
import type { RealtimeMetrics } from "../metrics.js";
import { type ChangeBinding, passesFilter } from "./bindings.js";
import type { ChangeCatalog, TableInfo } from "./catalog.js";
import type { CommittedTransaction, RowChange } from "./feed.js";
import { recordBytes, renderValue } from "./values.js";
import { type ClaimsGroup, visibleGroups } from "./visibility.js";

/** A channel with postgres_changes bindings, as the dispatcher sees it. */
export interface ChangeSubscriber {
  /** The channel's current caller (replaced when the client sends a new access token). */
  readonly context: RequestContext;
  readonly bindings: readonly ChangeBinding[];
  /** Sends a `postgres_changes` message with the ids of the channel's matching bindings; `data` is JSON text. */
  deliverChange(ids: readonly number[], data: string): void;
}

/** A row inserted into realtime.messages: a broadcast from the database. */
export interface DatabaseBroadcast {
  readonly topic: string;
  readonly event: string;
  readonly isPrivate: boolean;
  readonly id: string | null;
  readonly payload: string | null;
  readonly binaryPayload: string | null;
}

/** What a role gets for one change: errors, the columns it may read, the payload once made. */
interface Outcome {
  readonly errors: string[] | null;
  readonly readable: ReadonlySet<string>;
  payload: string | null;
}

export interface DispatcherOptions {
  readonly api: pg.Pool;
  readonly catalog: ChangeCatalog;
  readonly metrics: RealtimeMetrics;
  readonly onDatabaseBroadcast: (broadcast: DatabaseBroadcast) => void;
}

/**
 * Routes each committed change to the channels whose bindings match it and whose caller may see
 * it: filters are evaluated here, visibility is asked of the database once per change for all
 * distinct claims sets together (visibility.ts), and each caller gets only the columns its role
 * may SELECT.
 */
export class ChangeDispatcher {
  readonly #subscribers = new Set<ChangeSubscriber>();

  constructor(private readonly options: DispatcherOptions) {}

  add(subscriber: ChangeSubscriber): void {
    this.#subscribers.add(subscriber);
  }

  remove(subscriber: ChangeSubscriber): void {
    this.#subscribers.delete(subscriber);
  }

  async onTransaction(transaction: CommittedTransaction): Promise<void> {
    const commitTimestamp = transaction.commitTime.toISOString();
    for (const change of transaction.changes) {
      const { relation } = change;
      if (relation.schema === "realtime" && relation.name.startsWith("messages")) {
        if (change.type === "INSERT" && change.record) this.#databaseBroadcast(change.record);
        continue;
      }
      if (this.#subscribers.size === 0) continue;
      await this.#dispatch(change, commitTimestamp);
    }
  }

  #databaseBroadcast(record: Readonly<Record<string, string | null>>): void {
    if (
      record.extension !== "broadcast" ||
      !record.topic ||
      record.event === null ||
      record.event === undefined
    )
      return;
    this.options.onDatabaseBroadcast({
      topic: record.topic,
      event: record.event,
      isPrivate: record.private === "t",
      id: record.id ?? null,
      payload: record.payload ?? null,
      binaryPayload: record.binary_payload ?? null,
    });
  }

  async #dispatch(change: RowChange, commitTimestamp: string): Promise<void> {
    const table = await this.options.catalog.table(change.relation);
    const matches = this.#matching(change, table);
    if (matches.size === 0) return;

    const groups = new Map<string, { context: RequestContext; members: [ChangeSubscriber, number[]][] }>();
    for (const [subscriber, ids] of matches) {
      const key = JSON.stringify([subscriber.context.role, subscriber.context.claims]);
      let group = groups.get(key);
      if (!group) {
        group = { context: visibilityContext(subscriber.context), members: [] };
        groups.set(key, group);
      }
      group.members.push([subscriber, ids]);
    }

    // What each role may read, looked up once per role (the claims groups of one role share it).
    const roles = [...new Set([...groups.values()].map((group) => group.context.role))];
    const accessByRole = new Map(
      await Promise.all(
        roles.map(async (role) => [role, await this.options.catalog.access(role, table)] as const),
      ),
    );
    const toCheck: ClaimsGroup[] = [];
    const outcome = new Map<string, Outcome>();
    const outcomes = new Map<string, Outcome>();
    for (const [key, group] of groups) {
      const role = group.context.role;
      const access = accessByRole.get(role);
      if (!access) continue;
      let result = outcomes.get(role);
      if (!result) {
        if (table.keyColumns.length === 0) {
          result = {
            errors: ["Error 400: Bad Request, no primary key"],
            readable: access.readable,
            payload: null,
          };
        } else if (!table.keyColumns.every((column) => access.readable.has(column.name))) {
          result = { errors: ["Error 401: Unauthorized"], readable: new Set(), payload: null };
        } else {
          result = { errors: null, readable: access.readable, payload: null };
        }
        outcomes.set(role, result);
      }
      outcome.set(key, result);
      // A deleted row cannot be looked up: Supabase delivers DELETEs unchecked, primary key only.
      const checkable = result.errors === null && change.type !== "DELETE";
      if (checkable && table.rowSecurity && !access.bypassesRls)
        toCheck.push({ key, context: group.context });
    }
    const hidden = await this.#hiddenGroups(table, change, toCheck);

    for (const [key, group] of groups) {
      const result = outcome.get(key);
      if (!result || hidden.has(key)) continue;
      // One payload per role, serialized once; each channel's frame only adds its ids and topic.
      result.payload ??= JSON.stringify(
        this.#payload(change, table, commitTimestamp, result.readable, result.errors),
      );
      for (const [subscriber, ids] of group.members) subscriber.deliverChange(ids, result.payload);
      this.options.metrics.changesDelivered(group.members.length);
    }
  }

  /** Groups that may not see the row. One round trip; if it fails, each group alone. */
  async #hiddenGroups(table: TableInfo, change: RowChange, groups: ClaimsGroup[]): Promise<Set<string>> {
    const hidden = new Set(groups.map((group) => group.key));
    if (groups.length === 0) return hidden;
    const key = change.record ?? {};
    const started = performance.now();
    try {
      for (const visible of await visibleGroups(this.options.api, table, key, groups)) hidden.delete(visible);
      this.options.metrics.rlsChecks(groups.length, 1, performance.now() - started);
    } catch {
      // One group's policy failing (an error raised in it) must not hide the change from the others.
      for (const group of groups) {
        const visible = await visibleGroups(this.options.api, table, key, [group]).catch(
          () => new Set<string>(),
        );
        if (visible.has(group.key)) hidden.delete(group.key);
      }
      this.options.metrics.rlsChecks(groups.length, groups.length + 1, performance.now() - started);
    }
    return hidden;
  }

  #matching(change: RowChange, table: TableInfo): Map<ChangeSubscriber, number[]> {
    const matches = new Map<ChangeSubscriber, number[]>();
    const row = change.type === "DELETE" ? change.oldRecord : change.record;
    for (const subscriber of this.#subscribers) {
      for (const binding of subscriber.bindings) {
        if (binding.event !== "*" && binding.event !== change.type) continue;
        if (binding.schema !== "*" && binding.schema !== table.schema) continue;
        if (binding.table !== "*" && binding.table !== table.name) continue;
        if (binding.filter) {
          const column = table.columns.find((c) => c.name === binding.filter?.column);
          // A DELETE without the filtered column in its old record passes, as in Supabase.
          const value = row?.[binding.filter.column];
          if (!column || (value === undefined && change.type !== "DELETE")) continue;
          if (
            value !== undefined &&
            !passesFilter(binding.filter, renderValue(value, column.type), column.type.name)
          )
            continue;
        }
        let ids = matches.get(subscriber);
        if (!ids) {
          ids = [];
          matches.set(subscriber, ids);
        }
        if (!ids.includes(binding.id)) ids.push(binding.id);
      }
    }
    return matches;
  }

  #payload(
    change: RowChange,
    table: TableInfo,
    commitTimestamp: string,
    readable: ReadonlySet<string>,
    errors: string[] | null,
  ): Record<string, unknown> {
    const columns = table.columns.filter((column) => readable.has(column.name));
    const render = (tuple: Readonly<Record<string, string | null>> | null, only?: ReadonlySet<string>) => {
      const record: Record<string, unknown> = {};
      if (!tuple) return record;
      for (const column of columns) {
        if (only && !only.has(column.name)) continue;
        const value = tuple[column.name];
        if (value !== undefined) record[column.name] = renderValue(value, column.type);
      }
      return record;
    };
    const keys = new Set(table.keyColumns.map((column) => column.name));
    const data: Record<string, unknown> = {
      schema: table.schema,
      table: table.name,
      commit_timestamp: commitTimestamp,
      type: change.type,
      columns: columns.map((column) => ({ name: column.name, type: column.type.name })),
      errors,
    };
    if (change.type !== "DELETE") data.record = render(change.record);
    if (change.type !== "INSERT") {
      // Only the replica identity is in the old tuple unless REPLICA IDENTITY FULL; with RLS on,
      // a DELETE's old record is the primary key only (Supabase: the row can't be checked).
      const pkOnly = change.type === "DELETE" && table.rowSecurity;
      data.old_record = render(change.oldRecord ?? pickKeys(change.record, keys), pkOnly ? keys : undefined);
    }
    if (recordBytes(data) > LIMITS.maxRecordBytes) return tooLarge(data);
    return data;
  }
}

/**
 * The caller as a visibility check sees it: role and claims (and, through withContext's rules,
 * the tenant scope), without the socket's own headers and request id — as Supabase's check sets
 * only the role and `request.jwt.claims`. Subscribers with equal claims then share one check.
 */
function visibilityContext(context: RequestContext): RequestContext {
  return { ...context, headers: {}, cookies: {}, method: "GET", path: "/", requestId: "realtime" };
}

function pickKeys(
  tuple: Readonly<Record<string, string | null>> | null,
  keys: ReadonlySet<string>,
): Record<string, string | null> | null {
  if (!tuple) return null;
  return Object.fromEntries(Object.entries(tuple).filter(([name]) => keys.has(name)));
}

/** Supabase's answer to an oversized row: a 413 error and only the fields of at most 64 bytes. */
function tooLarge(data: Record<string, unknown>): Record<string, unknown> {
  const small = (record: unknown) =>
    Object.fromEntries(
      Object.entries((record ?? {}) as Record<string, unknown>).filter(
        ([, value]) => Buffer.byteLength(JSON.stringify(value) ?? "") <= 64,
      ),
    );
  const result: Record<string, unknown> = { ...data, errors: ["Error 413: Payload Too Large"] };
  if ("record" in data) result.record = small(data.record);
  if ("old_record" in data) result.old_record = small(data.old_record);
  return result;
}
