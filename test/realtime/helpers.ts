import type { RealtimeChannel, SupabaseClient } from "@supabase/supabase-js";

/** Subscribes a channel and resolves once the server replied to the join (or rejects). */
export function subscribed(channel: RealtimeChannel, timeoutMs = 10_000): Promise<RealtimeChannel> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${channel.topic}: not subscribed in ${timeoutMs} ms`)),
      timeoutMs,
    );
    channel.subscribe((status, error) => {
      if (status === "SUBSCRIBED") {
        clearTimeout(timer);
        resolve(channel);
      } else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT") {
        clearTimeout(timer);
        reject(error ?? new Error(`${channel.topic}: ${status}`));
      }
    });
  });
}

/** Collects what a callback receives, and waits for a number of items (bounded in time). */
export class Inbox<T> {
  readonly items: T[] = [];
  #waiters: { count: number; resolve: () => void }[] = [];

  readonly push = (item: T): void => {
    this.items.push(item);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (this.items.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  };

  /** Resolves when `count` items arrived; rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<T[]> {
    if (this.items.length >= count) return this.items;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`expected ${count} items, got ${this.items.length} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
    return this.items;
  }
}

/** Waits a little, to show that something did NOT arrive. */
export function settle(ms = 500): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Signs a seeded user in (password of the example's seed). */
export async function signIn(client: SupabaseClient, email: string): Promise<string> {
  const { data, error } = await client.auth.signInWithPassword({ email, password: "TestPass123!" });
  if (error || !data.session) throw error ?? new Error(`no session for ${email}`);
  return data.session.access_token;
}

/** Removes every channel and closes the client's socket. */
export async function closeClient(client: SupabaseClient): Promise<void> {
  await client.removeAllChannels();
  await client.realtime.disconnect();
}
