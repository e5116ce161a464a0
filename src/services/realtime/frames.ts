import {
  type BroadcastBody,
  encodeText,
  encodeUserBroadcast,
  type Message,
  type Vsn,
} from "./protocol/serializer.js";

/** A frame ready to send: text (JSON) or binary. */
export type Frame = string | Buffer;

/**
 * One server message encoded at most once per serializer, however many sockets receive it: a
 * broadcast to 1,000 sockets is stringified twice at most, not 1,000 times.
 */
export class OutgoingMessage {
  #v1: string | undefined;
  #v2: Frame | undefined;

  constructor(
    private readonly message: Message,
    /** A broadcast's body, when the message is one (binary bodies go as kind 4 frames). */
    private readonly broadcast?: {
      readonly event: string;
      readonly body: BroadcastBody;
      readonly meta: Record<string, unknown> | null;
    },
  ) {}

  frame(vsn: Vsn): Frame | null {
    if (vsn === "1.0.0") {
      if (this.broadcast?.body.kind === "binary") return null;
      this.#v1 ??= encodeText(this.message, vsn);
      return this.#v1;
    }
    if (this.#v2 === undefined) {
      const broadcast = this.broadcast;
      this.#v2 =
        broadcast?.body.kind === "binary"
          ? (encodeUserBroadcast(this.message.topic, broadcast.event, broadcast.meta, broadcast.body) ?? "")
          : encodeText(this.message, vsn);
    }
    return this.#v2 === "" ? null : this.#v2;
  }
}

/** The `{type: "broadcast", event, payload, meta?}` message realtime-js expects on a channel topic. */
export function broadcastMessage(
  topic: string,
  event: string,
  body: BroadcastBody,
  meta: Record<string, unknown> | null,
): OutgoingMessage {
  const payload: Record<string, unknown> = {
    type: "broadcast",
    event,
    payload: body.kind === "json" ? body.value : null,
  };
  if (meta) payload.meta = meta;
  return new OutgoingMessage(
    { joinRef: null, ref: null, topic, event: "broadcast", payload },
    { event, body, meta },
  );
}
