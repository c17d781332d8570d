/**
 * An upstream's reason phrase, relayed only when a status line may carry it (Node's
 * `writeHead` and the fetch `Response` constructor throw on anything else), or undefined.
 */
export function safeReason(reason: string | undefined): string | undefined {
  return reason && /^[\t\x20-\x7e\x80-\xff]*$/.test(reason) ? reason : undefined;
}
