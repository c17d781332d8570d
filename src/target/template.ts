/**
 * The parsed form of a target URL (SPEC section 6): the origin, and the path as literal text
 * and placeholders, so forwarded URLs are built without re-parsing (src/target/url.ts).
 * Parsing a target, which reports issues, is validation's job (src/validate/target.ts); this
 * module holds only the types, so `target/` never imports `validate/`.
 */

export type TargetPart =
  | { kind: 'text'; text: string } // literal path text, with its `/`
  | { kind: 'param'; index: number } // `/:name` -> `/` + encoded value of the index-th parameter
  | { kind: 'rest' }; // `/*` -> the catch-all remainder (it carries its own leading `/`)

export interface TargetTemplate {
  /** `https://host:port`: no remainder can change it. */
  origin: string;
  /** The target's path without its trailing `/` (`''` for `https://a.com` and `https://a.com/`). */
  basePath: string;
  /** The target's path exactly as written (forwarded as is by routes without a catch-all). */
  path: string;
  /** The target's own query, without `?` ('' when none). */
  query: string;
  /** Set when the target's path holds placeholders. */
  parts: TargetPart[] | null;
}
