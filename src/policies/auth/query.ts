/** Reading and removing one parameter of a raw query string (an API key sent in the query). */

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** The decoded value of the first `name` parameter, or undefined. */
export function queryParam(query: string, name: string): string | undefined {
  if (query === '') return undefined;
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    if (key === name) return eq < 0 ? '' : decode(part.slice(eq + 1));
  }
  return undefined;
}

/** The query without any `name` parameter (every occurrence, whatever its encoding), other parameters as sent. */
export function removeQueryParam(query: string, name: string): string {
  if (query === '') return query;
  const kept = query.split('&').filter((part) => {
    const eq = part.indexOf('=');
    return decode(eq < 0 ? part : part.slice(0, eq)) !== name;
  });
  return kept.join('&');
}
