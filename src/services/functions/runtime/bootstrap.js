// The first module of every function worker (run by Deno, not Node). It gives the function what
// Supabase's edge runtime gives it, then imports the function's entry module:
// - `Deno.serve(...)` is captured: the function's handler is served on the Unix socket the relay
//   names (or a loopback port it picks up), announced by one control line on stdout (marked with a
//   nonce the function never sees);
// - the handler's `info.remoteAddr` is the client's address as the relay saw it, not the relay's;
// - console output becomes JSON lines carrying the id of the request being handled, so the relay
//   can log each line under its function and request;
// - `EdgeRuntime.waitUntil(promise)` and the `beforeunload` event on termination;
// - a handler that throws or returns no Response gives Supabase's WORKER_ERROR; the 101 of
//   `Deno.upgradeWebSocket` (only possible on an upgrade request) goes back to the relay, which
//   joins the client's connection to the worker's.
import { AsyncLocalStorage } from "node:async_hooks";

const entry = Deno.env.get("GROUNDWORK_FUNCTION_ENTRY");
const nonce = Deno.env.get("GROUNDWORK_FUNCTION_NONCE");
const socketPath = Deno.env.get("GROUNDWORK_FUNCTION_SOCKET");
Deno.env.delete("GROUNDWORK_FUNCTION_ENTRY");
Deno.env.delete("GROUNDWORK_FUNCTION_NONCE");
Deno.env.delete("GROUNDWORK_FUNCTION_SOCKET");

// The relay's own headers (relay.ts spells the same names): removed before the function sees them.
const REQUEST_ID_HEADER = "x-groundwork-request-id";
const CLIENT_HEADER = "x-groundwork-client";
const encoder = new TextEncoder();
const currentRequest = new AsyncLocalStorage();

function writeLine(record) {
  Deno.stdout.writeSync(encoder.encode(`${JSON.stringify(record)}\n`));
}

function format(args) {
  return args.map((arg) => (typeof arg === "string" ? arg : Deno.inspect(arg, { colors: false }))).join(" ");
}

const LEVELS = { log: "info", info: "info", debug: "debug", warn: "warn", error: "error", trace: "debug" };
for (const [method, level] of Object.entries(LEVELS)) {
  console[method] = (...args) => {
    writeLine({ t: "log", level, rid: currentRequest.getStore() ?? null, msg: format(args) });
  };
}

function workerError(status, code, message) {
  return new Response(JSON.stringify({ code, message }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

let userHandler = null;
let server = null;

async function handle(request, info) {
  const requestId = request.headers.get(REQUEST_ID_HEADER);
  const client = request.headers.get(CLIENT_HEADER);
  if (requestId !== null || client !== null) {
    // A served request's headers are immutable: the function sees a copy without the relay's
    // headers. Shadowing the getter keeps the request itself (body, signal) untouched.
    const headers = new Headers(request.headers);
    headers.delete(REQUEST_ID_HEADER);
    headers.delete(CLIENT_HEADER);
    Object.defineProperty(request, "headers", { value: headers });
  }
  if (client !== null) {
    // `<port> <address>`: the client's end of its connection to the API server.
    const space = client.indexOf(" ");
    const remoteAddr = {
      transport: "tcp",
      hostname: client.slice(space + 1),
      port: Number(client.slice(0, space)),
    };
    Object.defineProperty(info, "remoteAddr", { value: remoteAddr });
  }
  return currentRequest.run(requestId, async () => {
    try {
      const response = await userHandler(request, info);
      if (!(response instanceof Response)) {
        console.error("the function's handler did not return a Response");
        return workerError(500, "WORKER_ERROR", "Function exited due to an error (please check logs)");
      }
      return response;
    } catch (error) {
      console.error(error);
      return workerError(500, "WORKER_ERROR", "Function exited due to an error (please check logs)");
    }
  });
}

const realServe = Deno.serve.bind(Deno);

/** Accepts every form of `Deno.serve`: (handler), (options, handler), ({ handler, ...options }). */
Deno.serve = (first, second) => {
  const handler =
    typeof first === "function" ? first : typeof second === "function" ? second : first?.handler;
  if (typeof handler !== "function") throw new TypeError("Deno.serve needs a handler function");
  if (server !== null) {
    console.warn("Deno.serve was called more than once; the first handler serves the requests");
    return server;
  }
  userHandler = handler;
  server = realServe({
    ...(socketPath ? { path: socketPath } : { hostname: "127.0.0.1", port: 0 }),
    onListen: (address) => writeLine({ t: "ready", nonce, port: address.port, path: address.path }),
    onError: (error) => {
      console.error(error);
      return workerError(500, "WORKER_ERROR", "Function exited due to an error (please check logs)");
    },
    handler: handle,
  });
  return server;
};

const pending = new Set();
globalThis.EdgeRuntime = {
  /** Keeps the worker alive until the promise settles (it outlives the response). */
  waitUntil(promise) {
    const tracked = Promise.resolve(promise).finally(() => pending.delete(tracked));
    pending.add(tracked);
    return promise;
  },
};

// The relay stops a worker with SIGTERM (on reload or shutdown): background tasks get a short
// grace, then `beforeunload` fires with Supabase's "termination" reason.
Deno.addSignalListener("SIGTERM", () => {
  const grace = new Promise((resolve) => setTimeout(resolve, 2000));
  void Promise.race([Promise.allSettled([...pending]), grace]).finally(() => {
    globalThis.dispatchEvent(new CustomEvent("beforeunload", { detail: { reason: "termination" } }));
    Deno.exit(0);
  });
});

// The relay holds this process's stdin open and never writes to it: its end means the server
// process is gone (killed without a chance to stop its workers), and a worker must not outlive it.
void (async () => {
  const buffer = new Uint8Array(64);
  try {
    while ((await Deno.stdin.read(buffer)) !== null);
  } catch {
    // A closed or broken stdin ends the worker the same way.
  }
  Deno.exit(0);
})();

await import(entry);
// Top-level await is part of the import, so a function that has not called Deno.serve by now
// (give a deferred call a moment) never will: fail the boot instead of waiting for the timeout.
setTimeout(() => {
  if (server !== null) return;
  console.error("the function did not call Deno.serve(handler)");
  Deno.exit(1);
}, 2000);
