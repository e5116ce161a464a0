/**
 * A live list of the signed-in user's contacts, the way React hooks over supabase-js keep one:
 * subscribe to postgres_changes on `contacts` first (so nothing is missed), then select the
 * initial rows, then apply each change. Row-level security decides both what the select returns
 * and which changes arrive, so the list only ever holds what this user may read.
 *
 *   SUPABASE_URL=http://127.0.0.1:54321 SUPABASE_ANON_KEY=… EMAIL=manager@test.local \
 *   PASSWORD=TestPass123! npx tsx examples/crm/app/live-contacts.ts
 */
import { createClient, type SupabaseClient } from "@supabase/supabase-js";

export interface Contact {
  readonly id: number;
  readonly first_name: string;
  readonly last_name: string;
  readonly status: string;
}

export interface LiveList {
  /** The contacts now, ordered by last name then first name. */
  current(): Contact[];
  stop(): Promise<void>;
}

/** Keeps a live list of the contacts `supabase`'s user may read; `onChange` gets each new list. */
export async function watchContacts(
  supabase: SupabaseClient,
  onChange: (contacts: Contact[]) => void,
): Promise<LiveList> {
  const rows = new Map<number, Contact>();
  const sorted = () =>
    [...rows.values()].sort(
      (a, b) => a.last_name.localeCompare(b.last_name) || a.first_name.localeCompare(b.first_name),
    );
  const pending: (() => void)[] = [];
  let loaded = false;
  const apply = (fn: () => void) => {
    if (!loaded) pending.push(fn);
    else {
      fn();
      onChange(sorted());
    }
  };

  const channel = supabase
    .channel("live-contacts")
    .on("postgres_changes", { event: "*", schema: "public", table: "contacts" }, (change) => {
      if (change.eventType === "DELETE") apply(() => rows.delete((change.old as Contact).id));
      else apply(() => rows.set((change.new as Contact).id, change.new as Contact));
    });
  await new Promise<void>((resolve, reject) => {
    channel.subscribe((status, error) => {
      if (status === "SUBSCRIBED") resolve();
      else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT") reject(error ?? new Error(status));
    });
  });

  const { data, error } = await supabase.from("contacts").select("id, first_name, last_name, status");
  if (error) throw new Error(error.message);
  for (const row of data as Contact[]) rows.set(row.id, row);
  loaded = true;
  for (const fn of pending.splice(0)) fn();
  onChange(sorted());

  return {
    current: sorted,
    async stop() {
      await supabase.removeChannel(channel);
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const supabase = createClient(
    process.env.SUPABASE_URL ?? "http://127.0.0.1:54321",
    process.env.SUPABASE_ANON_KEY ?? "",
  );
  const { error } = await supabase.auth.signInWithPassword({
    email: process.env.EMAIL ?? "manager@test.local",
    password: process.env.PASSWORD ?? "TestPass123!",
  });
  if (error) throw new Error(error.message);
  await watchContacts(supabase, (contacts) => {
    console.log(`\n${contacts.length} contacts`);
    for (const c of contacts) console.log(`  ${c.last_name}, ${c.first_name} (${c.status})`);
  });
}
