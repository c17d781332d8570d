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
                  [--production] [--workers N] [--admin-port P] [--access-log json]
  af-routes demo [--port 8080]
  af-routes <command> --help
  af-routes --version

Commands:
  validate  report every problem of a route table (exit 0 valid, 1 invalid, 2 unusable input)
  match     which route each path goes to, why, and the URL it is forwarded to
  serve     a local gateway that proxies requests by the table, reloading it on change
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
or be a full URL (its origin is ignored).

${ROUTES_ARG}

Options:
  -f, --function <name>    the function whose routes to read from an af.config.* with several
      --json               print one JSON object per path, in an array
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
      --no-watch           do not reload the table when its file changes
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
  1  the table is invalid at start: its problems are printed
  2  unusable input, or the port given is in use`,

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
