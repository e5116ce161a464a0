import type { StoredMessage } from "./store.js";

/** A Mailpit address. */
interface Address {
  readonly Name: string;
  readonly Address: string;
}

/** The sender every local message shows (`[inbucket] admin_email` / `sender_name`). */
export interface Sender {
  readonly name: string;
  readonly address: string;
}

/** Mailpit's `MessageSummary`, as `GET /api/v1/messages` lists it. */
export function messageSummary(message: StoredMessage, sender: Sender) {
  return {
    ID: message.id,
    MessageID: messageId(message),
    Read: message.read,
    From: from(sender),
    To: [{ Name: "", Address: message.to_address } satisfies Address],
    Cc: [],
    Bcc: [],
    ReplyTo: [],
    Subject: message.subject,
    Created: message.created_at.toISOString(),
    Username: "",
    Tags: [],
    Size: size(message),
    Attachments: 0,
    Snippet: snippet(message.text),
  };
}

/** Mailpit's `Message`, as `GET /api/v1/message/{ID}` returns it. */
export function fullMessage(message: StoredMessage, sender: Sender) {
  return {
    ID: message.id,
    MessageID: messageId(message),
    From: from(sender),
    To: [{ Name: "", Address: message.to_address } satisfies Address],
    Cc: [],
    Bcc: [],
    ReplyTo: [],
    ReturnPath: sender.address,
    Subject: message.subject,
    ListUnsubscribe: { Header: "", Links: [], Errors: "", HeaderPost: "" },
    Date: message.created_at.toISOString(),
    Tags: [],
    Username: "",
    Text: message.text,
    HTML: message.html,
    Size: size(message),
    Inline: [],
    Attachments: [],
  };
}

function from(sender: Sender): Address {
  return { Name: sender.name, Address: sender.address };
}

function messageId(message: StoredMessage): string {
  return `${message.id}.${message.kind}@groundwork.local`;
}

function size(message: StoredMessage): number {
  return (
    Buffer.byteLength(message.subject) + Buffer.byteLength(message.html) + Buffer.byteLength(message.text)
  );
}

/** Up to 250 characters of the text, whitespace folded, as Mailpit's snippet. */
function snippet(text: string): string {
  const folded = text.replace(/\s+/g, " ").trim();
  return folded.length > 250 ? `${folded.slice(0, 250)}...` : folded;
}
