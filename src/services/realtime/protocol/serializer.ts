/**
 * The Phoenix channel frames realtime-js speaks (reference/realtime.md §2).
 *
 * Glossary: a *message* is one frame's meaning — `topic` (`realtime:<channel>` or `phoenix`),
 * `event`, `payload`, the client's `ref` and the `join_ref` of the channel join it belongs to.
 * *vsn* is the serializer version the socket chose in its URL: `1.0.0` (JSON objects) or `2.0.0`
 * (JSON arrays, plus binary frames for broadcasts).
 */
export interface Message {
  readonly joinRef: string | null;
  readonly ref: string | null;
  readonly topic: string;
  readonly event: string;
  readonly payload: unknown;
}

export type Vsn = "1.0.0" | "2.0.0";

/** A broadcast's user payload: JSON (the usual) or raw bytes (vsn 2.0.0 binary frames only). */
export type BroadcastBody =
  | { readonly kind: "json"; readonly value: unknown }
  | { readonly kind: "binary"; readonly bytes: Buffer };

/** A decoded client frame, or why it was refused. */
export type Decoded =
  | { readonly ok: true; readonly message: Message; readonly binary?: BroadcastBody }
  | { readonly ok: false; readonly reason: string };

const USER_BROADCAST_PUSH = 3;
const USER_BROADCAST = 4;
const ENCODING_BINARY = 0;
const ENCODING_JSON = 1;

/** Decodes one client frame; anything malformed is refused with a reason, never thrown. */
export function decodeFrame(data: Buffer, isBinary: boolean, vsn: Vsn): Decoded {
  if (isBinary) {
    if (vsn !== "2.0.0") return { ok: false, reason: "binary frames need vsn 2.0.0" };
    return decodeUserBroadcastPush(data);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString("utf8"));
  } catch {
    return { ok: false, reason: "the frame is not JSON" };
  }
  if (vsn === "2.0.0") {
    if (!Array.isArray(parsed) || parsed.length !== 5)
      return { ok: false, reason: "expected [join_ref, ref, topic, event, payload]" };
    const [joinRef, ref, topic, event, payload] = parsed as unknown[];
    return shaped(joinRef, ref, topic, event, payload);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    return { ok: false, reason: "expected a JSON object" };
  const record = parsed as Record<string, unknown>;
  return shaped(record.join_ref ?? null, record.ref ?? null, record.topic, record.event, record.payload);
}

function shaped(joinRef: unknown, ref: unknown, topic: unknown, event: unknown, payload: unknown): Decoded {
  if (typeof topic !== "string" || typeof event !== "string")
    return { ok: false, reason: "topic and event must be strings" };
  const optionalRef = (value: unknown) => (value === null || value === undefined ? null : String(value));
  if (typeof payload !== "object" || payload === null || Array.isArray(payload))
    return { ok: false, reason: "payload must be an object" };
  return {
    ok: true,
    message: { joinRef: optionalRef(joinRef), ref: optionalRef(ref), topic, event, payload },
  };
}

/**
 * Kind 3, "user broadcast push": realtime-js writes the header strings one byte per UTF-16 unit
 * (charCodeAt), so they are read back as latin1; the user payload itself is UTF-8.
 */
function decodeUserBroadcastPush(data: Buffer): Decoded {
  if (data.length < 7 || data[0] !== USER_BROADCAST_PUSH)
    return { ok: false, reason: "unknown binary frame kind" };
  const lengths = [data[1], data[2], data[3], data[4], data[5]] as number[];
  const encoding = data[6];
  let offset = 7;
  const fields: string[] = [];
  for (const length of lengths) {
    if (offset + length > data.length)
      return { ok: false, reason: "binary frame shorter than its header says" };
    fields.push(data.toString("latin1", offset, offset + length));
    offset += length;
  }
  const [joinRef = "", ref = "", topic = "", userEvent = ""] = fields;
  const rest = data.subarray(offset);
  let body: BroadcastBody;
  if (encoding === ENCODING_JSON) {
    try {
      body = { kind: "json", value: JSON.parse(rest.toString("utf8")) };
    } catch {
      return { ok: false, reason: "the broadcast payload is not JSON" };
    }
  } else if (encoding === ENCODING_BINARY) {
    body = { kind: "binary", bytes: Buffer.from(rest) };
  } else {
    return { ok: false, reason: "unknown payload encoding" };
  }
  const payload = { type: "broadcast", event: userEvent, payload: body.kind === "json" ? body.value : null };
  return {
    ok: true,
    message: { joinRef: joinRef || null, ref: ref || null, topic, event: "broadcast", payload },
    binary: body,
  };
}

/** A server message as a text frame in the socket's serializer. */
export function encodeText(message: Message, vsn: Vsn): string {
  if (vsn === "2.0.0") {
    return JSON.stringify([message.joinRef, message.ref, message.topic, message.event, message.payload]);
  }
  return JSON.stringify({
    topic: message.topic,
    event: message.event,
    payload: message.payload,
    ref: message.ref,
    join_ref: message.joinRef,
  });
}

/**
 * Kind 4, "user broadcast": the only binary frame realtime-js decodes. Its header lengths are
 * single bytes, so a topic, event or metadata longer than 255 bytes cannot go this way (null:
 * send the broadcast as text instead, which only JSON payloads can).
 */
export function encodeUserBroadcast(
  topic: string,
  userEvent: string,
  meta: Readonly<Record<string, unknown>> | null,
  body: BroadcastBody,
): Buffer | null {
  const topicBytes = Buffer.from(topic, "utf8");
  const eventBytes = Buffer.from(userEvent, "utf8");
  const metaBytes = Buffer.from(meta ? JSON.stringify(meta) : "", "utf8");
  if (topicBytes.length > 255 || eventBytes.length > 255 || metaBytes.length > 255) return null;
  const payload =
    body.kind === "binary" ? body.bytes : Buffer.from(JSON.stringify(body.value ?? null), "utf8");
  const header = Buffer.from([
    USER_BROADCAST,
    topicBytes.length,
    eventBytes.length,
    metaBytes.length,
    body.kind === "binary" ? ENCODING_BINARY : ENCODING_JSON,
  ]);
  return Buffer.concat([header, topicBytes, eventBytes, metaBytes, payload]);
}
