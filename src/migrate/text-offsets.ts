/**
 * PostgreSQL's parser (libpg-query) reports statement locations in UTF-8 bytes, and error
 * positions in characters (code points); a JavaScript string is indexed in UTF-16 code units.
 * The three agree only on ASCII text: one `é` or `👋` before a location shifts every later one.
 * These convert both kinds of position to string indices.
 */

/**
 * Converts UTF-8 byte offsets of one text to string indices. Offsets asked in increasing order
 * (statements in file order) cost one pass over the text in all.
 */
export class Utf8Offsets {
  private byte = 0;
  private index = 0;

  constructor(private readonly text: string) {}

  /** The string index of the character that starts at `byteOffset` (the text's length past its end). */
  indexOf(byteOffset: number): number {
    if (byteOffset < this.byte) {
      this.byte = 0;
      this.index = 0;
    }
    while (this.byte < byteOffset && this.index < this.text.length) {
      const code = this.text.codePointAt(this.index) as number;
      this.byte += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
      this.index += code >= 0x10000 ? 2 : 1;
    }
    return this.index;
  }
}

/** The string index of the `count`-th code point of `text` (its length past the end). */
export function codePointIndex(text: string, count: number): number {
  let index = 0;
  for (let seen = 0; seen < count && index < text.length; seen += 1) {
    index += (text.codePointAt(index) as number) >= 0x10000 ? 2 : 1;
  }
  return index;
}
