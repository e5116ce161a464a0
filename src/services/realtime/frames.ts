import {
  type BroadcastBody,
  encodeText,
  encodeUserBroadcast,
  type Message,
  type Vsn,
} from "./protocol/serializer.js";

/** A frame ready to send: UTF-8 JSON text (encoded once, sent as a text frame) or a binary frame. */
export interface Frame {
  readonly data: Buffer;
  readonly binary: boolean;
}

/**
 * One server message encoded at most once per serializer, however many sockets receive it: a
 * broadcast to 1,000 sockets is stringified twice at most, not 1,000 times.
 */
export class OutgoingMessage {
  #v1: Frame | undefined;
  #v2: Frame | null | undefined;

  constructor(
    private readonly message: Message,
    /** A broadcast's body, when the message is one (binary bodies go as kind 4 frames). */
    private readonly broadcast?: {
      readonly event: string;
      readonly body: BroadcastBody;
      readonly meta: Record<string, unknown> | null;
    },
  ) {}

  /**
   * A server push whose payload is JSON text already (a change payload serialized once for every
   * channel that receives it).
   */
  static withRawPayload(
    joinRef: string | null,
    topic: string,
    event: string,
    payloadJson: string,
  ): OutgoingMessage {
    const message = new OutgoingMessage({ joinRef, ref: null, topic, event, payload: null });
    const head = [JSON.stringify(joinRef), "null", JSON.stringify(topic), JSON.stringify(event)];
    message.#v2 = text(`[${head.join(",")},${payloadJson}]`);
    message.#v1 = text(
      `{"topic":${head[2]},"event":${head[3]},"payload":${payloadJson},"ref":null,"join_ref":${head[0]}}`,
    );
    return message;
  }

  frame(vsn: Vsn): Frame | null {
    if (vsn === "1.0.0") {
      if (this.broadcast?.body.kind === "binary") return null;
      this.#v1 ??= text(encodeText(this.message, vsn));
      return this.#v1;
    }
    if (this.#v2 === undefined) {
      const broadcast = this.broadcast;
      if (broadcast?.body.kind === "binary") {
        const data = encodeUserBroadcast(this.message.topic, broadcast.event, broadcast.meta, broadcast.body);
        this.#v2 = data === null ? null : { data, binary: true };
      } else {
        this.#v2 = text(encodeText(this.message, vsn));
      }
    }
    return this.#v2;
  }
}

function text(json: string): Frame {
  return { data: Buffer.from(json, "utf8"), binary: false };
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
