import type { FastifyInstance, FastifyReply } from "fastify";
import type pg from "pg";
import { fullMessage, messageSummary, type Sender } from "./mailpit-json.js";
import { inboxPage, messagePage } from "./page.js";
import { deleteMessages, deleteSearch, listMessages, openMessage, setRead } from "./store.js";

export type { Sender } from "./mailpit-json.js";

/** Scripts never run in a message page; links and inline styles work. */
const MESSAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data: https: http:";

/**
 * The local mail catcher: the auth service's outbox (`groundwork.mail_outbox`) served the way the
 * Supabase CLI's Mailpit serves mail, so end-to-end tests that read links and codes from
 * `http://127.0.0.1:54324/api/v1/...` work unchanged: list, search, get (or `latest`), mark read,
 * delete; plus a web page of the messages. Errors are Mailpit's: 400 or 404 with a text body.
 */
export function registerMailCatcher(app: FastifyInstance, pool: pg.Pool, sender: Sender): void {
  const bad = (reply: FastifyReply, status: number, message: string) =>
    reply.code(status).type("text/plain; charset=utf-8").send(message);

  app.get("/api/v1/messages", async (request) => {
    const { start, limit } = paging(request.query);
    const found = await listMessages(pool, { start, limit });
    return summary(found, start, sender);
  });

  app.get("/api/v1/search", async (request, reply) => {
    const query = String((request.query as Record<string, unknown>).query ?? "").trim();
    if (query === "") return bad(reply, 400, "Error: no search query");
    const { start, limit } = paging(request.query);
    const found = await listMessages(pool, { start, limit, search: query });
    return summary(found, start, sender);
  });

  app.delete("/api/v1/search", async (request, reply) => {
    const query = String((request.query as Record<string, unknown>).query ?? "").trim();
    if (query === "") return bad(reply, 400, "Error: no search query");
    await deleteSearch(pool, query);
    return reply.type("text/plain").send("ok");
  });

  app.get("/api/v1/message/:id", async (request, reply) => {
    const message = await openMessage(pool, (request.params as { id: string }).id);
    if (!message) return bad(reply, 404, "Message not found");
    return fullMessage(message, sender);
  });

  app.get("/api/v1/message/:id/headers", async (request, reply) => {
    const message = await openMessage(pool, (request.params as { id: string }).id);
    if (!message) return bad(reply, 404, "Message not found");
    return {
      Date: [message.created_at.toUTCString()],
      From: [`${sender.name} <${sender.address}>`],
      To: [message.to_address],
      Subject: [message.subject],
    };
  });

  app.delete("/api/v1/messages", async (request, reply) => {
    await deleteMessages(pool, ids(request.body));
    return reply.type("text/plain").send("ok");
  });

  app.put("/api/v1/messages", async (request, reply) => {
    const body = parseBody(request.body);
    await setRead(pool, ids(body), body?.Read === true);
    return reply.type("text/plain").send("ok");
  });

  app.get("/api/v1/info", async () => {
    const found = await listMessages(pool, { start: 0, limit: 0 });
    return {
      Version: "groundwork",
      LatestVersion: "",
      Database: "groundwork.mail_outbox",
      Messages: found.total,
      Unread: found.unread,
      Tags: {},
    };
  });

  for (const path of ["/livez", "/readyz"])
    app.get(path, async (_request, reply) => reply.type("text/plain").send("ok"));

  app.get("/", async (_request, reply) => {
    const found = await listMessages(pool, { start: 0, limit: 200 });
    return reply.type("text/html; charset=utf-8").send(inboxPage(found.messages, found.total));
  });

  app.get("/view/:file", async (request, reply) => {
    const file = (request.params as { file: string }).file;
    const message = await openMessage(pool, file.replace(/\.html$/, ""));
    if (!message) return bad(reply, 404, "Message not found");
    return reply
      .header("content-security-policy", MESSAGE_CSP)
      .type("text/html; charset=utf-8")
      .send(messagePage(message));
  });
}

function summary(found: Awaited<ReturnType<typeof listMessages>>, start: number, sender: Sender) {
  return {
    total: found.total,
    unread: found.unread,
    count: found.messages.length,
    messages_count: found.matching,
    messages_unread: found.matchingUnread,
    start,
    tags: [],
    messages: found.messages.map((message) => messageSummary(message, sender)),
  };
}

/** `start` and `limit` (default 50) as Mailpit reads them; nonsense falls back to the defaults. */
function paging(query: unknown): { start: number; limit: number } {
  const q = (query ?? {}) as Record<string, unknown>;
  const number = (value: unknown, fallback: number, max: number) => {
    const parsed = Number(value);
    return Number.isInteger(parsed) && parsed >= 0 ? Math.min(parsed, max) : fallback;
  };
  return { start: number(q.start, 0, 1_000_000), limit: number(q.limit, 50, 1000) };
}

function parseBody(body: unknown): Record<string, unknown> | null {
  if (typeof body === "string") {
    try {
      const parsed: unknown = JSON.parse(body);
      return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
  return typeof body === "object" && body !== null ? (body as Record<string, unknown>) : null;
}

function ids(body: unknown): string[] {
  const list = parseBody(body)?.IDs;
  return Array.isArray(list) ? list.filter((id): id is string => typeof id === "string") : [];
}
