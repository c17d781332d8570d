/**
 * Generated data for the streaming tests: an endless repetition of a random pattern whose
 * length is not a power of two, so a lost, repeated or shifted chunk is caught by comparing
 * bytes in place (memcmp speed, nothing held in memory).
 */
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';

export class Pattern {
  readonly length: number;
  private readonly doubled: Buffer;

  constructor(length = 65_537) {
    const base = randomBytes(length);
    this.length = length;
    this.doubled = Buffer.concat([base, base]);
  }

  /** `size` (<= length) bytes of the stream starting at `offset`. */
  slice(offset: number, size: number): Buffer {
    const at = offset % this.length;
    return this.doubled.subarray(at, at + size);
  }

  /** True when `chunk` is the stream's content at `offset`. */
  matches(chunk: Buffer, offset: number): boolean {
    for (let i = 0; i < chunk.length; i += this.length) {
      const part = chunk.subarray(i, Math.min(chunk.length, i + this.length));
      if (!part.equals(this.slice(offset + i, part.length))) return false;
    }
    return true;
  }

  /** Writes `total` bytes of the stream to `out` with backpressure, then ends it. */
  pipeTo(out: Writable, total: number, chunkSize = 64 * 1024): void {
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        const size = Math.min(chunkSize, total - sent, this.length);
        const ok = out.write(this.slice(sent, size));
        sent += size;
        if (!ok) {
          out.once('drain', pump);
          return;
        }
      }
      out.end();
    };
    pump();
  }
}

/** Checks a stream of chunks against a pattern as it arrives. */
export class PatternChecker {
  bytes = 0;
  ok = true;
  constructor(private readonly pattern: Pattern) {}
  push(chunk: Buffer): void {
    if (this.ok && !this.pattern.matches(chunk, this.bytes)) this.ok = false;
    this.bytes += chunk.length;
  }
}
