/**
 * SQL identifiers for the Postgres route source. Table and column names cannot be query
 * parameters, so they are spliced into SQL text: only identifiers of a known shape get there.
 */

/** One identifier, either plain (`routes`, folded to lower case by Postgres) or double-quoted (`"AFFunction"`). */
const PART = String.raw`(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"\u0000]|"")+")`;
const QUALIFIED = new RegExp(`^${PART}(?:\\.${PART})?$`);
const SINGLE = new RegExp(`^${PART}$`);

export class SqlIdentifierError extends TypeError {
  readonly code = 'ERR_SQL_IDENTIFIER';
  constructor(what: string, value: unknown) {
    super(
      `${what} must be a SQL identifier as written in SQL: a plain name (letters, digits, _), ` +
        `or a double-quoted one for mixed case ("AFFunction"), optionally schema-qualified for a table; got ${JSON.stringify(value)}`,
    );
    this.name = 'SqlIdentifierError';
  }
}

/** Checks SQL identifier text (`"AFFunction"`, `public."AFFunction"`, `routes`); returns it unchanged. */
export function sqlIdentifier(what: string, value: unknown, qualified = false): string {
  if (typeof value !== 'string' || !(qualified ? QUALIFIED : SINGLE).test(value)) throw new SqlIdentifierError(what, value);
  return value;
}

/** Quotes an exact name (case kept): `AFFunction` -> `"AFFunction"`. */
export function quoteIdentifier(name: string): string {
  if (name.length === 0 || name.includes('\u0000')) throw new SqlIdentifierError('A name', name);
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * An exact, possibly schema-qualified name as a user types it on the command line
 * (`AFFunction`, `app.AFFunction`) quoted for SQL; text already quoted is checked and kept.
 */
export function quoteQualifiedName(what: string, name: string): string {
  if (name.includes('"')) return sqlIdentifier(what, name, true);
  const parts = name.split('.');
  if (parts.length > 2 || parts.some((p) => p.length === 0)) throw new SqlIdentifierError(what, name);
  return parts.map(quoteIdentifier).join('.');
}

/** The text of a quoted or plain identifier as Postgres stores it: `"AFFunction"` -> `AFFunction`, `Routes` -> `routes`. */
export function identifierName(identifier: string): string {
  if (identifier.startsWith('"')) return identifier.slice(1, -1).replaceAll('""', '"');
  return identifier.toLowerCase();
}
