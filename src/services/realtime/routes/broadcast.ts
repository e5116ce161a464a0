import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { RequestContext } from "../../../db/context.js";
import { requireContext } from "../../../request/caller.js";
import { topicKey } from "../hub.js";
import { LIMITS } from "../limits.js";
import { mayBroadcast } from "../private-channel.js";
import type { BroadcastBody } from "../protocol/serializer.js";
import type { RealtimeRuntime } from "../runtime.js";

/** One message of `POST /api/broadcast` (reference/realtime.md §7). */
interface HttpBroadcast {
  readonly topic: string;
  readonly event: string;
  readonly body: BroadcastBody;
  readonly isPrivate: boolean;
}

/**
 * `POST /api/broadcast` with `{messages: [{topic, event, payload, private?}]}` and
 * `POST /api/broadcast/:topic/events/:event` with a JSON or raw body: 202 with an empty body.
 * Private messages go out only where the caller's INSERT policies on realtime.messages allow.
 */
export function registerBroadcastRoutes(scope: FastifyInstance, runtime: RealtimeRuntime): void {
  scope.addContentTypeParser("application/octet-stream", { parseAs: "buffer" }, (_request, body, done) =>
    done(null, body),
  );

  scope.post("/api/broadcast", async (request, reply) => {
    const ctx = callerOr401(request, reply);
    if (!ctx) return reply;
    const messages = parseBatch(request.body);
    if (typeof messages === "string") return reply.code(422).send({ errors: { messages: [messages] } });
    await publish(runtime, ctx, messages);
    return reply.code(202).send();
  });

  scope.post<{ Params: { topic: string; event: string }; Querystring: { private?: string } }>(
    "/api/broadcast/:topic/events/:event",
    async (request, reply) => {
      const ctx = callerOr401(request, reply);
      if (!ctx) return reply;
      const raw = request.body;
      const body: BroadcastBody = Buffer.isBuffer(raw)
        ? { kind: "binary", bytes: raw }
        : { kind: "json", value: raw ?? null };
      const message = {
        topic: request.params.topic,
        event: request.params.event,
        body,
        isPrivate: request.query.private === "true",
      };
      await publish(runtime, ctx, [message]);
      return reply.code(202).send();
    },
  );
}

function callerOr401(request: FastifyRequest, reply: FastifyReply): RequestContext | null {
  try {
    return requireContext(request);
  } catch (error) {
    reply.code(401).send({ error: (error as Error).message });
    return null;
  }
}

function parseBatch(body: unknown): HttpBroadcast[] | string {
  const list = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(list)) return "messages must be a list";
  const messages: HttpBroadcast[] = [];
  for (const item of list) {
    const entry = (item ?? {}) as Record<string, unknown>;
    if (typeof entry.topic !== "string" || entry.topic === "") return "each message needs a topic";
    if (typeof entry.event !== "string") return "each message needs an event";
    const size = Buffer.byteLength(JSON.stringify(entry.payload ?? null));
    if (size > LIMITS.maxBroadcastBytes) return "a payload is too large";
    messages.push({
      topic: entry.topic,
      event: entry.event,
      body: { kind: "json", value: entry.payload ?? {} },
      isPrivate: entry.private === true,
    });
  }
  return messages;
}

async function publish(
  runtime: RealtimeRuntime,
  ctx: RequestContext,
  messages: readonly HttpBroadcast[],
): Promise<void> {
  await runtime.hub.start();
  const allowed = new Map<string, boolean>();
  for (const message of messages) {
    if (message.isPrivate) {
      let may = allowed.get(message.topic);
      if (may === undefined) {
        may = await mayBroadcast(runtime.db.api, ctx, message.topic);
        allowed.set(message.topic, may);
      }
      if (!may) continue;
    }
    runtime.hub.broadcast(
      topicKey(message.topic, message.isPrivate),
      null,
      message.event,
      message.body,
      null,
    );
  }
}
