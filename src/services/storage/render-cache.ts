/**
 * Transformed images, most recently used last, bounded by their total size. A key names the
 * object's version, so a new upload is a new key and stale entries simply age out.
 */
export class RenderCache {
  private readonly entries = new Map<string, { body: Buffer; contentType: string }>();
  private bytes = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  get(key: string): { body: Buffer; contentType: string } | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(key: string, entry: { body: Buffer; contentType: string }): void {
    if (entry.body.length > this.maxBytes / 4) return;
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.bytes += entry.body.length;
    for (const [oldest, value] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= value.body.length;
    }
  }
}
