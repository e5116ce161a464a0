/**
 * Presence as Phoenix.Presence lays it out for realtime-js (reference/realtime.md §4):
 * state `{<key>: {metas: [{phx_ref, ...tracked}]}}` and diffs `{joins: state, leaves: state}`.
 *
 * Each process owns the entries its own sockets tracked and keeps a copy of the other processes'
 * entries (learnt over the bus), each tagged with its origin so that a process that goes away
 * takes its entries with it.
 */
export type PresenceMeta = Readonly<Record<string, unknown>> & { readonly phx_ref: string };
export type PresenceState = Record<string, { metas: PresenceMeta[] }>;
export interface PresenceDiff {
  readonly joins: PresenceState;
  readonly leaves: PresenceState;
}

/** One tracked entry: which presence key, its meta, which process and (locally) which channel. */
interface Entry {
  readonly key: string;
  readonly meta: PresenceMeta;
  readonly origin: string;
  readonly owner: object | null;
}

/** A diff as it travels between processes: entries as [key, meta] pairs. */
export interface WireDiff {
  readonly joins: readonly (readonly [string, PresenceMeta])[];
  readonly leaves: readonly (readonly [string, PresenceMeta])[];
}

export class PresenceRegistry {
  /** topic key -> phx_ref -> entry. */
  readonly #topics = new Map<string, Map<string, Entry>>();
  #nextRef = 0;

  constructor(private readonly origin: string) {}

  /** Tracks (or re-tracks) `owner`'s presence under `key`; returns the diff to announce. */
  track(topic: string, owner: object, key: string, payload: Readonly<Record<string, unknown>>): WireDiff {
    const leaves = this.#removeOwned(topic, owner);
    const meta: PresenceMeta = { ...payload, phx_ref: this.#ref() };
    this.#entries(topic).set(meta.phx_ref, { key, meta, origin: this.origin, owner });
    return { joins: [[key, meta]], leaves };
  }

  /** Removes `owner`'s presence; returns the diff to announce (empty when it tracked nothing). */
  untrack(topic: string, owner: object): WireDiff {
    return { joins: [], leaves: this.#removeOwned(topic, owner) };
  }

  /** Applies another process's diff to the copy kept here. */
  applyRemote(topic: string, origin: string, diff: WireDiff): void {
    const entries = this.#entries(topic);
    for (const [, meta] of diff.leaves) entries.delete(meta.phx_ref);
    for (const [key, meta] of diff.joins) entries.set(meta.phx_ref, { key, meta, origin, owner: null });
    if (entries.size === 0) this.#topics.delete(topic);
  }

  /** Forgets every entry of a process that went away; returns each topic's leave diff. */
  dropOrigin(origin: string): Map<string, WireDiff> {
    const diffs = new Map<string, WireDiff>();
    for (const [topic, entries] of this.#topics) {
      const leaves: [string, PresenceMeta][] = [];
      for (const [ref, entry] of entries) {
        if (entry.origin !== origin) continue;
        entries.delete(ref);
        leaves.push([entry.key, entry.meta]);
      }
      if (leaves.length > 0) diffs.set(topic, { joins: [], leaves });
      if (entries.size === 0) this.#topics.delete(topic);
    }
    return diffs;
  }

  /** This process's own entries, per topic, for a process that asks for them. */
  ownEntries(): Map<string, WireDiff> {
    const own = new Map<string, WireDiff>();
    for (const [topic, entries] of this.#topics) {
      const joins = [...entries.values()]
        .filter((e) => e.origin === this.origin)
        .map((e) => [e.key, e.meta] as const);
      if (joins.length > 0) own.set(topic, { joins, leaves: [] });
    }
    return own;
  }

  /** The whole state of a topic, as `presence_state` carries it. */
  state(topic: string): PresenceState {
    const state: PresenceState = {};
    for (const entry of this.#topics.get(topic)?.values() ?? []) {
      let slot = state[entry.key];
      if (!slot) {
        slot = { metas: [] };
        state[entry.key] = slot;
      }
      slot.metas.push(entry.meta);
    }
    return state;
  }

  #entries(topic: string): Map<string, Entry> {
    let entries = this.#topics.get(topic);
    if (!entries) {
      entries = new Map();
      this.#topics.set(topic, entries);
    }
    return entries;
  }

  #removeOwned(topic: string, owner: object): [string, PresenceMeta][] {
    const entries = this.#topics.get(topic);
    if (!entries) return [];
    const leaves: [string, PresenceMeta][] = [];
    for (const [ref, entry] of entries) {
      if (entry.owner !== owner) continue;
      entries.delete(ref);
      leaves.push([entry.key, entry.meta]);
    }
    if (entries.size === 0) this.#topics.delete(topic);
    return leaves;
  }

  #ref(): string {
    // Unique across processes: the origin id is random per process.
    this.#nextRef += 1;
    return `${this.origin}-${this.#nextRef}`;
  }
}

/** A wire diff in the `{joins, leaves}` shape realtime-js reads. */
export function diffPayload(diff: WireDiff): PresenceDiff {
  const group = (pairs: readonly (readonly [string, PresenceMeta])[]) => {
    const state: PresenceState = {};
    for (const [key, meta] of pairs) {
      let slot = state[key];
      if (!slot) {
        slot = { metas: [] };
        state[key] = slot;
      }
      slot.metas.push(meta);
    }
    return state;
  };
  return { joins: group(diff.joins), leaves: group(diff.leaves) };
}
