/**
 * The 1-based line where the value at a JSON pointer (`/tasks/1/status`) starts in a JSON text
 * that is known to parse; the line of the deepest part found when the pointer leads nowhere.
 */
export function lineOfPointer(text: string, pointer: string): number {
  let pos = skipSpace(text, 0);
  for (const raw of pointer.split("/").slice(1)) {
    const token = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    const next =
      text[pos] === "{"
        ? findMember(text, pos, token)
        : text[pos] === "["
          ? findElement(text, pos, Number(token))
          : -1;
    if (next < 0) break;
    pos = next;
  }
  return text.slice(0, pos).split("\n").length;
}

function skipSpace(text: string, from: number): number {
  let pos = from;
  while (pos < text.length && /\s/.test(text[pos] as string)) pos++;
  return pos;
}

/** The end (exclusive) of the string literal starting at `pos`. */
function skipString(text: string, pos: number): number {
  for (let i = pos + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i + 1;
  }
  return text.length;
}

/** The end (exclusive) of the value starting at `pos`. */
function skipValue(text: string, pos: number): number {
  if (text[pos] === '"') return skipString(text, pos);
  if (text[pos] !== "{" && text[pos] !== "[") {
    let end = pos;
    while (end < text.length && !/[,}\]\s]/.test(text[end] as string)) end++;
    return end;
  }
  let depth = 0;
  for (let i = pos; i < text.length; i++) {
    const char = text[i];
    if (char === '"') i = skipString(text, i) - 1;
    else if (char === "{" || char === "[") depth++;
    else if ((char === "}" || char === "]") && --depth === 0) return i + 1;
  }
  return text.length;
}

function findMember(text: string, pos: number, key: string): number {
  let i = skipSpace(text, pos + 1);
  while (text[i] === '"') {
    const end = skipString(text, i);
    const name = JSON.parse(text.slice(i, end)) as string;
    const value = skipSpace(text, skipSpace(text, end) + 1);
    if (name === key) return value;
    i = skipSpace(text, skipValue(text, value));
    if (text[i] !== ",") return -1;
    i = skipSpace(text, i + 1);
  }
  return -1;
}

function findElement(text: string, pos: number, index: number): number {
  if (!Number.isInteger(index)) return -1;
  let i = skipSpace(text, pos + 1);
  for (let n = 0; n < index; n++) {
    i = skipSpace(text, skipValue(text, i));
    if (text[i] !== ",") return -1;
    i = skipSpace(text, i + 1);
  }
  return text[i] === "]" ? -1 : i;
}
