import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { type TempProject, tempProject } from "../harness/project.js";

/**
 * Deno functions as Supabase's docs and the functions-js test suite write them, kept as text
 * (they are Deno code, not part of this TypeScript project) and written into a temp project.
 */
export const FUNCTIONS: Record<string, string> = {
  // The template of `supabase functions new`, with the JSR type import it starts with.
  "hello/index.ts": `import "jsr:@supabase/functions-js/edge-runtime.d.ts";

Deno.serve(async (req) => {
  const { name } = await req.json();
  return new Response(JSON.stringify({ message: \`Hello \${name}!\` }), {
    headers: { "Content-Type": "application/json" },
  });
});
`,
  // Echoes what it received (the functions-js "mirror" function).
  "mirror/index.ts": `Deno.serve(async (req, info) => {
  const url = new URL(req.url);
  const body = await req.text();
  return Response.json({
    remote: info.remoteAddr,
    path: url.pathname,
    search: url.search,
    method: req.method,
    headers: [...req.headers],
    body,
  });
});
`,
  // Environment, including a secret from .env and one from [edge_runtime.secrets].
  "env/index.ts": `Deno.serve(() =>
  Response.json({
    url: Deno.env.get("SUPABASE_URL"),
    anon: Deno.env.get("SUPABASE_ANON_KEY"),
    service: Deno.env.get("SUPABASE_SERVICE_ROLE_KEY"),
    db: Deno.env.get("SUPABASE_DB_URL"),
    publishable: Deno.env.get("SUPABASE_PUBLISHABLE_KEYS"),
    secret: Deno.env.get("SUPABASE_SECRET_KEYS"),
    jwks: Deno.env.get("SUPABASE_JWKS"),
    fromEnvFile: Deno.env.get("GREETING") ?? null,
    fromConfig: Deno.env.get("CONFIG_SECRET") ?? null,
    leaked: Object.keys(Deno.env.toObject()).filter((name) => name.startsWith("GROUNDWORK") || name === "DATABASE_URL"),
  }),
);
`,
  // supabase-js as the docs import it, run as the caller: RLS decides the rows.
  "contacts/index.ts": `import { createClient } from "npm:@supabase/supabase-js@2";
import { corsHeaders } from "../_shared/cors.ts";

Deno.serve(async (req) => {
  if (req.method === "OPTIONS") return new Response("ok", { headers: corsHeaders });
  const supabase = createClient(Deno.env.get("SUPABASE_URL")!, Deno.env.get("SUPABASE_ANON_KEY")!, {
    global: { headers: { Authorization: req.headers.get("Authorization")! } },
  });
  const { data, error } = await supabase.from("contacts").select("id, tenant_id").order("id");
  if (error) return Response.json({ error }, { status: 400, headers: corsHeaders });
  return Response.json({ contacts: data }, { headers: corsHeaders });
});
`,
  "_shared/cors.ts": `export const corsHeaders = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers": "authorization, x-client-info, apikey, content-type",
};
`,
  // The JSR and esm.sh forms of the same import resolve to the npm package offline.
  "jsr-import/index.ts": `import { createClient } from "jsr:@supabase/supabase-js@2";
import { createClient as fromEsm } from "https://esm.sh/@supabase/supabase-js@2";
Deno.serve(() => Response.json({ jsr: typeof createClient, esm: typeof fromEsm }));
`,
  // The older std form.
  "std-serve/index.ts": `import { serve } from "https://deno.land/std@0.168.0/http/server.ts";
serve(() => new Response("served by std"));
`,
  "throws/index.ts": `Deno.serve(() => {
  throw new Error("boom ✨");
});
`,
  "loop/index.ts": `Deno.serve((req) => {
  if (new URL(req.url).searchParams.has("spin")) while (true) {}
  return new Response("alive");
});
`,
  "bad-syntax/index.ts": "Deno.serve(() => new Response('unclosed);\n",
  "hijack/index.ts": `Deno.serve((req) => {
  const { response } = Deno.upgradeWebSocket(req);
  return response;
});
`,
  // A WebSocket echo; a plain request, or one asking ?refuse, gets an HTTP answer instead.
  "echo-ws/index.ts": `Deno.serve((req) => {
  const refuse = new URL(req.url).searchParams.has("refuse");
  if (req.headers.get("upgrade") !== "websocket" || refuse) {
    return new Response("a WebSocket only ✋", { status: 426, headers: { "x-reason": "upgrade" } });
  }
  const { socket, response } = Deno.upgradeWebSocket(req);
  socket.onmessage = (event) => {
    socket.send(typeof event.data === "string" ? \`echo: \${event.data}\` : event.data);
  };
  return response;
});
`,
  // Streams a text/event-stream response one chunk every 50 ms.
  "stream/index.ts": `Deno.serve(() => {
  let n = 0;
  const body = new ReadableStream({
    async pull(controller) {
      await new Promise((r) => setTimeout(r, 50));
      controller.enqueue(new TextEncoder().encode(\`data: \${n}\\n\\n\`));
      if (++n === 5) controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
});
`,
  // Counts the bytes of a streamed request body.
  "upload/index.ts": `Deno.serve(async (req) => {
  let bytes = 0;
  for await (const chunk of req.body ?? []) bytes += chunk.length;
  return Response.json({ bytes });
});
`,
  // Tries to read files outside its folder and to write into it.
  "snoop/index.ts": `Deno.serve(async () => {
  const attempt = async (fn) => { try { await fn(); return "allowed"; } catch (e) { return e.name; } };
  return Response.json({
    config: await attempt(() => Deno.readTextFile(new URL("../../config.toml", import.meta.url))),
    envFile: await attempt(() => Deno.readTextFile(new URL("../.env", import.meta.url))),
    own: await attempt(() => Deno.readTextFile(new URL("./data.json", import.meta.url))),
    write: await attempt(() => Deno.writeTextFile(new URL("./written.txt", import.meta.url), "x")),
    tmp: await attempt(() => Deno.makeTempFile()),
    run: await attempt(() => new Deno.Command("/bin/ls").output()),
  });
});
`,
  "snoop/data.json": `{"mine": true}`,
  "memory/index.ts": `Deno.serve(() => {
  const hog = [];
  while (true) hog.push(new Array(1_000_000).fill(Math.random()));
});
`,
  "logs/index.ts": `Deno.serve((req) => {
  console.log("handling", new URL(req.url).searchParams.get("tag"), "— ünïcødé 日本 🎉");
  console.error("an error line");
  return new Response("logged");
});
`,
  "waituntil/index.ts": `Deno.serve(() => {
  EdgeRuntime.waitUntil(new Promise((r) => setTimeout(r, 10)));
  return new Response("later");
});
`,
  "disabled/index.ts": `Deno.serve(() => new Response("should not run"));`,
  "unicode/index.ts": `Deno.serve(async (req) => {
  const text = await req.text();
  return new Response(\`got: \${text} — 你好 🌍\`, { headers: { "content-type": "text/plain; charset=utf-8" } });
});
`,
  ".env": "GREETING=hej från .env ✨\nSUPABASE_URL=http://evil.example\n",
};

export const CONFIG_TOML = `
[functions.mirror]
verify_jwt = false

[functions.disabled]
enabled = false

[functions.stream]
verify_jwt = false

[edge_runtime.secrets]
CONFIG_SECRET = "from config.toml"
`;

export const GROUNDWORK_TOML = `
[functions]
wall_clock_limit = 4
# Above the wall clock, so that the loop function meets the wall-clock limit (cpu-limit.test.ts
# tests this one).
cpu_time_limit = 60
memory_limit_mb = 64
body_limit = "1MB"
`;

/** A copy of the example project with every function above and their settings. */
export function functionsProject(): TempProject {
  const project = tempProject({ copyExample: true });
  for (const [file, text] of Object.entries(FUNCTIONS)) project.write(`supabase/functions/${file}`, text);
  appendTo(project, "supabase/config.toml", CONFIG_TOML);
  appendTo(project, "groundwork.toml", GROUNDWORK_TOML);
  return project;
}

function appendTo(project: TempProject, file: string, text: string): void {
  const full = path.join(project.dir, file);
  const existing = existsSync(full) ? readFileSync(full, "utf8") : "";
  project.write(file, `${existing}\n${text}`);
}
