/**
 * The part of Mailpit's search syntax the catcher understands, as SQL over `groundwork.mail_outbox`
 * (alias `m`): `to:`, `from:`, `subject:`, `is:read`, `is:unread`, quoted phrases and bare words
 * (matched in the address, subject and body), `-` or `!` before a term to exclude it. Values are
 * always bound parameters.
 */
export function searchSql(query: string, firstParam: number): { where: string; params: string[] } {
  const clauses: string[] = [];
  const params: string[] = [];
  const bind = (value: string) => {
    params.push(value);
    return `$${firstParam + params.length - 1}`;
  };
  for (const match of query.matchAll(/([-!]?)(?:(\w+):)?(?:"([^"]*)"|(\S+))/g)) {
    const negate = match[1] !== "";
    const field = (match[2] ?? "").toLowerCase();
    const value = match[3] ?? match[4] ?? "";
    let clause: string;
    if (field === "is" && (value === "read" || value === "unread")) {
      clause = value === "read" ? "m.read" : "not m.read";
    } else if (field === "to") {
      clause = `m.to_address ilike ${bind(`%${escapeLike(value)}%`)}`;
    } else if (field === "subject") {
      clause = `m.subject ilike ${bind(`%${escapeLike(value)}%`)}`;
    } else if (field === "from") {
      // Every message comes from the configured sender; `from:` matches it in the catcher.
      clause = "true";
    } else {
      const term = field === "" ? value : `${field}:${value}`;
      const p = bind(`%${escapeLike(term)}%`);
      clause = `(m.to_address ilike ${p} or m.subject ilike ${p} or m.text ilike ${p})`;
    }
    clauses.push(negate ? `not (${clause})` : clause);
  }
  return { where: clauses.length === 0 ? "true" : clauses.join(" and "), params };
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}
