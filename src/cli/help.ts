/** Help texts: `af-routes --help` and `af-routes <command> --help`. */

/** The order is resolveSource's (src/cli/source.ts); docs/cli.md lists the same steps. */
const ROUTES_ARG = `<routes> is tried, in this order, as:
  1. a directory:             .   (its af.config.ts, else af.config.js, else af.config.json)
  2. a config file:           af.config.ts | af.config.js | af.config.json
  3. a JSON string:           '{"/api/*": "https://api.example.com"}'
  4. a path to a JSON file:   examples/seed.json`;

const MATCH_OPTIONS = `  --ignore-trailing-slash  /docs and /docs/ are the same path (as compile's ignoreTrailingSlash)
  --case-insensitive       static text matches ignoring ASCII case (caseSensitive: false)`;

export const HELP: Record<string, string> = {
  main: `af-routes: validate, explain and serve route tables of @alternatefutures/routing-core

Usage:
  af-routes validate [<routes>] [--function <name>] [--json]
  af-routes match <routes> <path>... [--function <name>] [--json]
  af-routes serve [<routes>] [--port 8080] [--host 127.0.0.1] [--function <name>]
                 [--tls-cert <pem> --tls-key <pem> | --h2c]
                  [--production] [--workers N] [--admin-port P] [--access-log json]
  af-routes serve --routes-from postgres://user@host:port/db --function <id>
  af-routes edit [<routes.json>] [--port 8080] [--editor-port 8081]
  af-routes demo [--port 8080]
  af-routes <command> --help
  af-routes --version

Commands:
  validate  report every problem of a route table (exit 0 valid, 1 invalid, 2 unusable input)
  match     which route each path goes to, why, and the URL it is forwarded to
  serve     a local gateway that proxies requests by the table, reloading it on change
  edit      the route editor in a browser, over a live gateway that serves each save
  demo      demo services and a gateway in front of them, with curl commands to try

${ROUTES_ARG}

Guide: docs/cli.md, shipped in the package
  (node_modules/@alternatefutures/routing-core/docs/cli.md)`,

  validate: `Usage: af-routes validate [<routes>] [options]

Reports every problem of a route table: the pattern, the target, the rule (a stable code)
and what to do, then the warnings. A valid table is listed in precedence order.
Without <routes>, reads af.config.ts/js/json in the working directory.

${ROUTES_ARG}

Options:
  -f, --function <name>    the function whose routes to read from an af.config.* with several
      --json               print {"source","valid","routes","errors","warnings"} as JSON
${MATCH_OPTIONS}
  -h, --help               show this help

Exit codes:
  0  valid (warnings allowed)
  1  invalid: every problem is printed
  2  unusable input: not JSON, unreadable file, config that fails to load, bad options`,

  match: `Usage: af-routes match <routes> <path>... [options]

For each path: the normalized path, the route that wins and why (every route that matches the
path on its own, in precedence order), the parameters, the catch-all remainder and the URL the
request is forwarded to; or that no route matches (the function's own code would run), or
that the path is rejected (400/414) before matching. A path may carry a query (quote it),
or be a full URL (its origin is ignored). Route conditions (methods, host, headers, query) are
checked against the request the options below describe: each candidate shows which of its
variants accept it and which conditions failed the others.

${ROUTES_ARG}

Options:
  -f, --function <name>    the function whose routes to read from an af.config.* with several
      --json               print one JSON object per path, in an array
  -X, --method <method>    the request method (default GET)
      --host <host>        the Host header (a port is ignored)
  -H, --header 'name: v'   a request header; repeat for several
      --query <query>      the query string (default: the one on the path, if any)
${MATCH_OPTIONS}
  -h, --help               show this help

Exit codes:
  0  the table is valid and every path was explained (matched, unmatched or rejected)
  1  the table is invalid: its problems are printed, as by validate
  2  unusable input or no path given`,

  serve: `Usage: af-routes serve [<routes>] [options]

A local gateway: proxies each request to the target of the route it matches (streaming,
hop-by-hop headers stripped, X-Forwarded-* set). Prints the routes in precedence order at
start and one access-log line per request:
  HH:MM:SS METHOD /path -> /route/pattern STATUS upstream=STATUS 12ms
Edits to the routes file are picked up at once (SIGHUP reloads too); a table that fails
validation is reported and the previous one keeps serving. Ctrl+C (SIGINT) or SIGTERM stops
it gracefully: in-flight requests finish, new connections are refused.
WebSockets (any Upgrade) are routed and proxied like requests; SSE and other streams pass
through as they come.
With --tls-cert/--tls-key it serves HTTPS: HTTP/2 (ALPN h2) and HTTP/1.1 on the same port; the
certificate is re-read when its files change. --h2c serves cleartext HTTP/2 with prior
knowledge instead (no HTTP/1.1, so no WebSockets). Upstreams are always spoken to in HTTP/1.1.
By default for local development: targets on loopback and private networks are allowed, and
error bodies show the target URL. --production makes it a production gateway (guide:
docs/operations.md).
Without <routes>, reads af.config.ts/js/json in the working directory.

${ROUTES_ARG}

Options:
  -p, --port <port>        port to listen on (default 8080; when 8080 is busy and no port
                           was given, a free one is used; 0 picks a free one)
      --host <host>        address to listen on (default 127.0.0.1)
  -f, --function <name>    the function whose routes to read from an af.config.* with several
      --no-watch           do not reload the table (or the certificate) when its file changes
      --tls-cert <file>    PEM certificate (chain): serve HTTPS, HTTP/2 by ALPN and HTTP/1.1
      --tls-key <file>     PEM private key of --tls-cert (both or neither)
      --h2c                cleartext HTTP/2 with prior knowledge (not with --tls-cert)
${MATCH_OPTIONS}
  -h, --help               show this help

Scale-out (docs/scale-out.md):
      --routes-from <url>  read the routes of --function <id> from Postgres instead of
                           <routes>: SELECT routes FROM "AFFunction" WHERE id = <id>,
                           reloaded when the row changes (LISTEN/NOTIFY; run the migration
                           sql/af-routes-notify.sql once)
      --routes-table <name>      the table, exact name, may be schema.table (default AFFunction)
      --routes-column <name>     the jsonb column holding the routes (default routes)
      --routes-id-column <name>  the column holding the function id (default id)
      --rate-limit-store <url>   share rate-limit buckets in Redis (redis://host:port) across
                                 instances; while Redis is down, requests pass unlimited

Exit codes:
  0  stopped by SIGINT/SIGTERM
  1  the table is invalid at start: its problems are printed
  2  unusable input, the port given is in use, --routes-from unreachable at start, or a TLS
     flag problem (one of --tls-cert and --tls-key without the other, --h2c with TLS, an
     unreadable or mismatched certificate)`,

  edit: `Usage: af-routes edit [<routes.json>] [options]

Starts the gateway (as serve does) and, on 127.0.0.1, the route editor: a page to add, edit,
reorder, validate and test routes. Open the "Editor:" URL it prints. Saving validates the
table again, writes the file atomically (the previous version kept as <file>.bak) and the
gateway serves it at once. A save from a page that loaded an older version (another tab,
or the file changed on disk) is refused, never written over. Edits made to the file by other
programs are served too. Without <routes.json>, edits ./routes.json (created on first save).

Options:
  -p, --port <port>        the gateway's port (default 8080, or a free one when busy)
      --host <host>        the gateway's address (default 127.0.0.1)
      --editor-port <port> the editor's port on 127.0.0.1 (default 8081, or a free one when busy)
${MATCH_OPTIONS}

Production:
      --production         outbound policy on (private/loopback targets refused), no target
                           URLs in error bodies, JSON access log, one worker per core,
                           10 s drain; each flag below still overrides its default
      --workers <n>        processes sharing the port (node:cluster); a crashed one is
                           replaced (default: the cores with --production, else 1)
      --access-log <mode>  off | text | json (default: json with --production, else text)
      --admin-port <port>  serve /metrics (Prometheus), /routes, /healthz, /readyz on this
                           port (0: any free port); metrics are recorded only with it
      --admin-host <host>  address of the admin server (default 127.0.0.1)
      --drain-timeout <ms> how long in-flight requests get on SIGTERM (default 5000;
                           10000 with --production)
      --allow-private-networks
                           with --production: allow targets on private networks and loopback
  -h, --help               show this help

Exit codes:
  0  stopped by SIGINT/SIGTERM
  2  unusable input (not a .json file, no such directory), or a port given is in use`,

  demo: `Usage: af-routes demo [options]      (also: npm start)

Starts three small demo services on 127.0.0.1 (users, products, default; each answers JSON
echoing the method, path, query, headers and body it received) and a gateway in front of them
with an example route table, then prints curl commands that show routing at work. Needs no
network and no set-up beyond building the package.

Options:
  -p, --port <port>        gateway port (default 8080; when busy and no port was given, a
                           free one is used and printed)
  -h, --help               show this help

Exit codes:
  0  stopped by SIGINT/SIGTERM
  2  bad options, or the port given is in use`,
};
