import type { StoredMessage } from "./store.js";

/** The catcher's web page: the messages, newest first, each linking to its rendered body. */
export function inboxPage(messages: readonly StoredMessage[], total: number): string {
  const rows = messages
    .map(
      (m) =>
        `<tr class="${m.read ? "read" : "unread"}"><td>${escapeHtml(m.created_at.toISOString().replace("T", " ").slice(0, 19))}</td>` +
        `<td>${escapeHtml(m.to_address)}</td><td><a href="/view/${escapeHtml(m.id)}.html">${escapeHtml(m.subject)}</a></td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mail (${total}) · Groundwork</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}.unread{font-weight:600}</style></head>
<body><h1>Mail</h1>
<p>${total} message(s) the local auth service sent. The HTTP API is Mailpit's: <code>/api/v1/messages</code>,
<code>/api/v1/search?query=to:ADDRESS</code>, <code>/api/v1/message/ID</code>.</p>
<table><thead><tr><th>Received (UTC)</th><th>To</th><th>Subject</th></tr></thead><tbody>
${rows || '<tr><td colspan="3">No messages yet.</td></tr>'}
</tbody></table></body></html>`;
}

/** A message's HTML body on a page of its own, its text part underneath. */
export function messagePage(message: StoredMessage): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(message.subject)}</title></head>
<body><p><a href="/">All messages</a> · To: ${escapeHtml(message.to_address)}</p><hr>
${message.html}
<hr><pre>${escapeHtml(message.text)}</pre></body></html>`;
}

function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}
