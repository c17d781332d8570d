/**
 * Whole batches of log lines for sonic-boom (the JSON access log's destination, ./access-log.ts).
 *
 * Why not sonic-boom's own batching (`minLength`): its `write` appends each line to the
 * pending string (`buf += line`) and then takes `Buffer.byteLength` of that string, which
 * flattens it: every line copies and scans everything buffered before it, so a 12 KB batch
 * costs O(n²), measured at ~7.6 KB allocated and several µs per line
 * (bench/results/notes-observability.md, "Session 22"). Here a line is pushed to an array; a
 * batch is joined and encoded once, and sonic-boom (in its buffer mode) gets one buffer per
 * write.
 */

/** What the batcher writes to (sonic-boom in its buffer mode, or anything with `write`). */
export interface BatchTarget {
  write(chunk: Buffer): unknown;
}

export class LineBatcher {
  private lines: string[] = [];
  /** UTF-16 units buffered: a line's bytes, for the ASCII lines a log is made of. */
  private chars = 0;

  /**
   * @param min a batch is written once it holds this many characters
   * @param max no batch written holds more bytes (unless a single line is longer): writes up
   *   to PIPE_BUF stay whole on a pipe shared by several processes
   */
  constructor(
    private readonly target: BatchTarget,
    private readonly min: number,
    private readonly max: number,
  ) {
    if (!(min > 0 && max >= min)) throw new RangeError(`LineBatcher: need 0 < min <= max, got min ${min}, max ${max}`);
  }

  /** Buffers one line (with its newline); writes the batch when it is full. Pino calls this. */
  write(line: string): boolean {
    if (this.chars > 0 && this.chars + line.length > this.max) this.flush();
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= this.min) this.flush();
    return true;
  }

  /** Hands what is buffered to the target (nothing when empty). */
  flush(): void {
    if (this.lines.length === 0) return;
    const lines = this.lines;
    this.lines = [];
    this.chars = 0;
    this.writeLines(lines);
  }

  /**
   * Writes `lines` as one buffer, or, when that is more than `max` bytes (characters beyond
   * ASCII take 2 to 4), as halves, each checked again. The batch is encoded once, here:
   * sonic-boom's string mode would measure it, encode it for the write, and encode it again
   * when the write completes.
   */
  private writeLines(lines: string[]): void {
    const bytes = Buffer.from(lines.length === 1 ? lines[0]! : lines.join(''));
    if (lines.length > 1 && bytes.length > this.max) {
      const half = lines.length >> 1;
      this.writeLines(lines.slice(0, half));
      this.writeLines(lines.slice(half));
      return;
    }
    this.target.write(bytes);
  }

  /** Characters waiting for the next write. */
  get pending(): number {
    return this.chars;
  }
}
