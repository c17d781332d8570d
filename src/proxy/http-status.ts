/** Statuses whose responses never have a body (RFC 9110 section 6.4.1 and 101/103). */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

export function isNullBodyStatus(status: number): boolean {
  return NULL_BODY_STATUS.has(status);
}
