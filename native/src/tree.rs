//! The route tree: a compressed (radix) trie over route shapes, matched against UTF-16 paths.
//!
//! This module knows nothing about Node-API; `lib.rs` is only the binding. The contract it
//! implements is the one documented in `src/match/core.ts` (SPEC sections 2, 3, 5 and 10), the
//! same as the TypeScript backend's (`src/match/tree.ts`): shapes are taken exactly as given
//! (the router has already lower-cased static text for case-insensitive matching and dropped
//! a trailing empty segment under ignoreTrailingSlash).
//!
//! # Shapes
//!
//! A route arrives as its *shape*: the pattern's segments after the leading `/`, where a
//! static segment is its canonical text, `":"` is a plain parameter, `":" + REGEX` a
//! constrained parameter (SPEC 10.2) and `"*"` is a catch-all (last segment only). The pattern
//! `/` is `[""]`, `/docs/` is `["docs", ""]`. A canonical static segment never starts with `:`
//! (SPEC 2: only such a segment is a parameter).
//!
//! Shapes are distinct: validation (TypeScript) is the one conflict check. The tree relies on
//! it and reports nothing: of two equal shapes the first keeps the slot, the later is ignored.
//!
//! A shape is turned into a sequence of pieces: static text (the segments joined with the
//! `/` that precedes each), a parameter (plain or constrained by one REGEX), and finally either
//! "the route ends here" or "a catch-all starts here". `/api/:id/orders` is `"/api/"`, param,
//! `"/orders"`, end; `/api/*` is `"/api"`, catch-all; `/*` is `""`, catch-all; `/` is `"/"`,
//! end.
//!
//! # Invariants of the tree
//!
//! 1. Every node stands for one exact sequence of pieces from the root (its *full text*):
//!    a static node for the full text of its parent plus its own `text`, a param node for its
//!    parent's full text plus one parameter of one kind (plain, or one REGEX). So two routes
//!    land on the same slot exactly when their shapes are equal.
//! 2. The root has empty text. Every other static node has non-empty text; a param node has
//!    none (it consumes one non-empty path segment).
//! 3. The static children of a node have pairwise different first code units (the radix
//!    property), so at most one static child can match at a given path position.
//! 4. Param children exist only on a node whose full text ends with `/` (a segment start), and
//!    every static child of a param node starts with `/`. A node has at most one param child
//!    per kind; its *param edges* (`param_edges[param_start[id]..param_start[id + 1]]`) list
//!    the constrained ones in code-point order of their REGEX source, then the plain one
//!    (which is also `Node::param`).
//! 5. `end` and `catch_all` are set only on nodes whose full text ends at a segment boundary
//!    (end of a static segment, after a parameter, or the root for `/*`).
//! 6. Frozen layout: the static children of a node are the contiguous ids
//!    `children..children + children_len`, sorted by first code unit, followed by its param
//!    children (never in a `children` range). These blocks are laid out depth-first (a block,
//!    then the blocks of its nodes' subtrees, in order), and static text lives in one pool in
//!    the same order, so the nodes, text and child tables one lookup touches below a wide
//!    node lie close together: in a table of thousands of tenants, a tenant's subtree is a few
//!    adjacent cache lines instead of one line per level scattered over the whole tree. A node
//!    holds the first units of up to `FIRSTS` children itself; one with more children whose
//!    first units span at most `DENSE_SPAN` values has a *range table* (`Tree::dense`): its
//!    lowest first unit, the span, then per unit in the span 0 or 1 + the child's offset in
//!    the `children` range; a table of a span of at most `INLINE_SPAN` is kept in the node
//!    itself. A node also holds its text after the first unit when short.
//! 7. Equal REGEX sources share one compiled regex (one id), so the per-lookup memo of
//!    (regex, segment) results is shared by every branch using that REGEX.
//!
//! # Matching
//!
//! A depth-first walk with backtracking. At a node reached at path position `pos`:
//! - at the end of the path: the route ending here, else the catch-all here, else backtrack;
//! - otherwise, in this order: the static child whose text matches at `pos` (at most one by
//!   invariant 3), the param edges in order (a non-empty segment up to the next `/`, all its
//!   units ASCII and matched whole by the REGEX for a constrained one), then the catch-all (if
//!   the next unit is `/`; the remainder starts there); else backtrack.
//!
//! Each node is entered at most once per lookup (it is a tree, and a backtracked node only
//! resumes its remaining alternatives), so the work is bounded by the tree, not by the number
//! of ways a path could be split: there is no exponential backtracking. Static text is compared
//! at most once per node; a segment's end is found by scanning, and a long segment's end is
//! remembered for the rest of the lookup, so many branches reaching one long segment scan it
//! once; likewise one REGEX runs at most once on one long segment per lookup. The walk uses an
//! explicit stack (no recursion), whose depth is bounded by the tree's depth, so a path of any
//! length or number of segments is safe.
//!
//! # Conditions (SPEC 10.1) and suspension
//!
//! With [`Guards`], a route slot whose method mask does not contain the lookup's method bit is
//! *absent*: the walk goes on exactly as if that route were not in the table. A slot whose
//! route is *checked* suspends the walk: the lookup returns that route with its captures
//! written, keeping its stack in the [`Scratch`]; [`Tree::resume`] continues the same walk
//! (the caller's condition check rejected the route) and returns the next candidate. The
//! enumerating walk ([`Tree::lookup_all`]) suspends at every slot. Resuming never re-enters a
//! node, so a lookup with any number of rejections still enters each node at most once.
//! Tables without guards and without constrained parameters use a separate copy of the walk
//! (`walk`) that has none of this, so they cost what they always did.
//!
//! One walk can be suspended at a time (a new guarded lookup or `lookup_all` replaces it).
//! Lookups in a tree without guards cannot suspend and run on their own stack, so they may run
//! while an enumeration is suspended; the memos they leave are for their own path, so a resume
//! after one starts its memos afresh.
//!
//! Positions are UTF-16 code unit indices into the path, exactly what JavaScript's
//! `String.prototype.slice` takes. Static text is compared unit by unit, so non-ASCII text and
//! lone surrogates need no special treatment; ASCII case folding (when `case_sensitive` is
//! false) applies to `A`-`Z` only. A REGEX is matched against the raw segment (not folded).

use std::collections::HashMap;

/// "No route" / "no node" marker in the `u32` slots.
pub const NONE: u32 = u32::MAX;

/// The method mask that accepts every method (`ALL_METHODS` in src/match/core.ts).
pub const ALL_METHODS: i32 = -1;

const SLASH: u16 = b'/' as u16;
const COLON: u16 = b':' as u16;

/// Options that change what a shape means (SPEC section 3, "Shape depends on the options").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// `false`: ASCII letters of the path are folded to lower case before comparison. The
    /// shapes' static text must already be lower-cased (the TypeScript side does it; the tree
    /// takes shapes as given, exactly like the TypeScript backend).
    pub case_sensitive: bool,
    /// `true`: a path longer than `/` that ends in `/` is matched without that last `/`. The
    /// shapes have already lost a trailing empty segment (the router drops it).
    pub ignore_trailing_slash: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { case_sensitive: true, ignore_trailing_slash: false }
    }
}

/// Per-route conditions as the tree sees them (`BackendGuards` in src/match/core.ts, minus
/// the `accept` callback, which the caller runs while the walk is suspended).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guards {
    /// `methods[r]`: the method bits for which route r can accept (-1: all).
    pub methods: Vec<i32>,
    /// `checked[r] == 1`: route r has other conditions; the walk suspends at its slot.
    pub checked: Vec<u8>,
}

/// A shape the tree refuses (the TypeScript validator never produces these, except a REGEX
/// that re2js accepts and the `regex` crate does not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShapeError {
    /// A shape with no segment (the pattern `/` is `[""]`, not `[]`).
    Empty { route: usize },
    /// `"*"` somewhere other than the last segment (an anonymous parameter must arrive as `":"`).
    CatchAllNotLast { route: usize, segment: usize },
    /// A static segment containing `/`.
    SlashInSegment { route: usize, segment: usize },
    /// A constrained parameter whose REGEX is not valid UTF-16 (a lone surrogate).
    RegexNotUnicode { route: usize, segment: usize },
    /// A constrained parameter whose REGEX the `regex` crate refuses.
    Regex { route: usize, segment: usize, source: String, message: String },
    /// Guards whose arrays do not have one entry per route.
    GuardsLength { routes: usize, methods: usize, checked: usize },
    /// More routes than an `i32` result can index.
    TooManyRoutes,
}

impl std::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShapeError::Empty { route } => write!(f, "route {route}: a shape needs at least one segment"),
            ShapeError::CatchAllNotLast { route, segment } => write!(
                f,
                "route {route}: \"*\" at segment {segment} is not the last segment (pass a parameter as \":\")"
            ),
            ShapeError::SlashInSegment { route, segment } => {
                write!(f, "route {route}: static segment {segment} contains \"/\"")
            }
            ShapeError::RegexNotUnicode { route, segment } => write!(
                f,
                "route {route}: the regex of parameter segment {segment} holds a lone surrogate (not valid Unicode)"
            ),
            ShapeError::Regex { route, segment, source, message } => write!(
                f,
                "route {route}: the regex {source:?} of parameter segment {segment} does not compile in the Rust regex crate \
                 (refuse it in validation or rewrite it in syntax both engines accept): {message}"
            ),
            ShapeError::GuardsLength { routes, methods, checked } => write!(
                f,
                "guards need one entry per route: {routes} routes, {methods} method masks, {checked} checked flags"
            ),
            ShapeError::TooManyRoutes => write!(f, "too many routes"),
        }
    }
}

impl std::error::Error for ShapeError {}

/// One frozen node (invariant 6): 64 bytes, one cache line. Besides the links it carries
/// what the walk reads next without another line: the start of its text after the first unit
/// (`head`) and, for a node with few static children, their first units (`firsts`). A step
/// through the tree then touches the child's line (and, below a wide node, the range table),
/// where 32-byte nodes with the text and first units in their own arrays touched three lines.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
struct Node {
    /// Start of this node's range table in `Tree::dense` (invariant 6), `INLINE_RANGE` when
    /// the table is in `firsts`, or `NONE` for a node with few children or first units spread
    /// too wide (searched instead).
    dense: u32,
    /// Static text consumed on entering this node: `text[text_start..text_start + text_len]`.
    text_start: u32,
    text_len: u32,
    /// Static children: node ids `children..children + children_len`.
    children: u32,
    children_len: u32,
    /// The plain param child's node id, or `NONE`.
    param: u32,
    /// The route that ends exactly here, or `NONE`.
    end: u32,
    /// The catch-all route that starts here, or `NONE`.
    catch_all: u32,
    /// `text[1..]` when it is at most `HEAD` units (zero-padded), else unused (the pool is read).
    head: [u16; HEAD],
    /// The first units of the static children when there are at most `FIRSTS` of them (the
    /// rest zero), in order; a range table of a small span (`INLINE_RANGE`); else unused (range
    /// table in `Tree::dense` or `Tree::first`).
    firsts: [u16; FIRSTS],
}

/// Text units after the first one kept in the node (`Node::head`).
const HEAD: usize = 8;
/// Children whose first units are kept in the node (`Node::firsts`): more get a range table.
const FIRSTS: usize = 8;
/// `Node::dense` of a node whose range table is kept in `Node::firsts` (lowest first unit,
/// span, then one byte per unit of the span: 0 or 1 + the child's offset), for spans of at
/// most `INLINE_SPAN` units: a tenant number's children `/`, `0`-`9` span 11.
const INLINE_RANGE: u32 = NONE - 1;
const INLINE_SPAN: usize = 2 * (FIRSTS - 2);

/// One param edge (invariant 4): the child node and the regex it needs (`NONE`: plain).
#[derive(Debug, Clone, Copy)]
struct ParamEdge {
    regex: u32,
    node: u32,
}

/// A saved alternative for backtracking: resume `node` (reached at `pos` with `params`
/// captured) at `stage`.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    node: u32,
    pos: u32,
    params: u32,
    stage: u32,
}

// Stages of the plain walk (`walk`).
const STAGE_PARAM: u32 = 1;
const STAGE_CATCH_ALL: u32 = 2;

// Stages of the general walk (`walk_general`). Param edge j is stage `G_PARAMS + j`.
const G_ENTER: u32 = 0;
/// At the end of the path, after the route ending here (absent or rejected): the catch-all.
const G_END_CATCH_ALL: u32 = 1;
const G_PARAMS: u32 = 2;
/// Past the param edges, before the end of the path: the catch-all.
const G_CATCH_ALL: u32 = u32::MAX;
/// Nothing left at this node: pop the next alternative.
const G_BACKTRACK: u32 = u32::MAX - 1;

/// What a general walk stops at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A lookup for one method bit: absent slots are skipped, checked ones suspend.
    Lookup(i32),
    /// `lookup_all`: every slot suspends, methods and checks ignored.
    All,
}

/// A general walk's position between a suspension and [`Tree::resume`].
#[derive(Debug, Clone, Copy)]
struct Suspended {
    /// False when there is nothing to resume (no lookup yet, or the walk finished).
    active: bool,
    mode: Mode,
    /// The path's length as given (resume checks it is the same path) and as matched.
    path_len: usize,
    len: usize,
    node: u32,
    pos: u32,
    params: u32,
    stage: u32,
}

impl Suspended {
    /// A walk at the root, for a path of `path_len` units matched on its first `len`.
    fn start(mode: Mode, path_len: usize, len: usize) -> Suspended {
        Suspended { active: true, mode, path_len, len, node: ROOT as u32, pos: 0, params: 0, stage: G_ENTER }
    }
}

impl Default for Suspended {
    fn default() -> Self {
        Suspended { active: false, mode: Mode::All, path_len: 0, len: 0, node: 0, pos: 0, params: 0, stage: 0 }
    }
}

/// Reusable per-caller scratch for [`Tree::lookup`]: the backtracking stack, the ends of the
/// long segments found during the current lookup, the REGEX results on long segments, and a
/// suspended walk.
#[derive(Debug, Default)]
pub struct Scratch {
    /// The suspendable walk's stack (guarded lookups, `lookup_all`), kept while suspended.
    stack: Vec<Frame>,
    /// The stack of lookups that cannot suspend (trees without guards), so they can run
    /// while another walk is suspended.
    own_stack: Vec<Frame>,
    /// The memos below belong to the suspended walk (else to a lookup since).
    memo_suspended: bool,
    /// Segment start -> segment end, for segments of at least `LONG_SEGMENT` units. Many
    /// branches can reach the same segment (every combination of `a` / `:p` over k levels
    /// reaches level k+1 at one position); each of them needs its end, and rescanning a long
    /// segment per branch would cost branches x length. Short segments are rescanned: that
    /// costs at most `LONG_SEGMENT` per node visit.
    long_segments: HashMap<u32, u32, PositionHash>,
    /// (regex id << 32 | segment start) -> whether the regex matches the segment, for
    /// segments of at least `LONG_SEGMENT` units, for the same reason.
    regex_results: HashMap<u64, bool, PositionHash>,
    /// A segment's units as bytes, for the regex (reused).
    bytes: Vec<u8>,
    suspended: Suspended,
    /// Work done by the last lookup and its resumes (trees built with `count_steps`): one per
    /// node entered or alternative popped, plus one per code unit scanned, compared or given
    /// to a regex.
    pub steps: u64,
    /// Code units scanned for segment ends (tests check that a long segment is scanned once).
    #[cfg(test)]
    scanned: usize,
    /// Regex runs (tests check that one REGEX runs once on one long segment).
    #[cfg(test)]
    regex_runs: usize,
}

/// Segments at least this long get their end (and REGEX results) remembered during a lookup.
const LONG_SEGMENT: usize = 64;

/// Hashing for path positions (no DoS concern: keys are positions, bounded by the path).
#[derive(Debug, Default, Clone, Copy)]
struct PositionHash;

impl std::hash::BuildHasher for PositionHash {
    type Hasher = PositionHasher;
    fn build_hasher(&self) -> PositionHasher {
        PositionHasher(0)
    }
}

struct PositionHasher(u64);

impl std::hash::Hasher for PositionHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        let h = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 29);
    }
}

/// The route tree. Built once from all shapes, then only read.
#[derive(Debug)]
pub struct Tree {
    nodes: Vec<Node>,
    /// First code unit of each node's text (0 for the root and param nodes), by node id.
    first: Vec<u16>,
    /// Pool of all static text.
    text: Vec<u16>,
    /// Range tables of the nodes with many children (see `Node::dense`), in layout order.
    dense: Vec<u16>,
    /// Param edges of node `id`: `param_edges[param_start[id]..param_start[id + 1]]`.
    param_start: Vec<u32>,
    param_edges: Vec<ParamEdge>,
    /// Compiled `^(?:REGEX)$` (in the crate's syntax, re2.rs) by regex id, and the sources as
    /// written.
    regexes: Vec<regex::bytes::Regex>,
    sources: Vec<String>,
    guards: Option<Guards>,
    /// No constrained parameter and no guards: lookups take the plain walk.
    plain: bool,
    count_steps: bool,
    options: Options,
    max_params: usize,
    routes: usize,
}

impl Tree {
    /// Builds the tree from route shapes given as UTF-16 segments (`":"` a parameter,
    /// `":" + REGEX` a constrained one, `"*"` a catch-all). Route `i` is the shape at index `i`.
    /// Shapes are expected distinct; a shape equal to an earlier one is ignored.
    pub fn new<S: std::ops::Deref<Target = [u16]>>(shapes: &[Vec<S>], options: Options) -> Result<Tree, ShapeError> {
        if shapes.len() >= i32::MAX as usize {
            return Err(ShapeError::TooManyRoutes);
        }
        let mut builder = Builder::new();
        let mut max_params = 0;
        let mut pending: Vec<u16> = Vec::new();
        for (route, shape) in shapes.iter().enumerate() {
            let segments: &[S] = shape;
            if segments.is_empty() {
                return Err(ShapeError::Empty { route });
            }
            let mut node = ROOT;
            let mut params = 0;
            let mut catch_all = false;
            pending.clear();
            for (i, segment) in segments.iter().enumerate() {
                let segment: &[u16] = segment;
                if segment == [b'*' as u16] {
                    if i + 1 != segments.len() {
                        return Err(ShapeError::CatchAllNotLast { route, segment: i });
                    }
                    catch_all = true;
                } else if segment.first() == Some(&COLON) {
                    pending.push(SLASH);
                    node = builder.insert_text(node, &pending);
                    node = if segment.len() == 1 {
                        builder.param_child(node)
                    } else {
                        let regex = builder.regex(&segment[1..], route, i)?;
                        builder.constrained_child(node, regex)
                    };
                    pending.clear();
                    params += 1;
                } else {
                    if segment.contains(&SLASH) {
                        return Err(ShapeError::SlashInSegment { route, segment: i });
                    }
                    pending.push(SLASH);
                    pending.extend_from_slice(segment);
                }
            }
            max_params = max_params.max(params);
            node = builder.insert_text(node, &pending);
            let slot = if catch_all { &mut builder.nodes[node].catch_all } else { &mut builder.nodes[node].end };
            // Distinct shapes are the caller's invariant; a repeated one keeps the first.
            if *slot == NONE {
                *slot = route as u32;
            }
        }
        Ok(builder.freeze(options, max_params, shapes.len()))
    }

    /// Convenience for tests and Rust callers: shapes as `&str` segments.
    pub fn from_strs<S: AsRef<str>>(shapes: &[Vec<S>], options: Options) -> Result<Tree, ShapeError> {
        let utf16: Vec<Vec<Vec<u16>>> =
            shapes.iter().map(|shape| shape.iter().map(|s| s.as_ref().encode_utf16().collect()).collect()).collect();
        Tree::new(&utf16, options)
    }

    /// Adds per-route conditions (one entry per route in each array).
    pub fn with_guards(mut self, guards: Guards) -> Result<Tree, ShapeError> {
        if guards.methods.len() != self.routes || guards.checked.len() != self.routes {
            return Err(ShapeError::GuardsLength {
                routes: self.routes,
                methods: guards.methods.len(),
                checked: guards.checked.len(),
            });
        }
        self.guards = Some(guards);
        self.plain = false;
        Ok(self)
    }

    /// Counts work in [`Scratch::steps`] (for tests that check lookups are linear).
    pub fn with_step_count(mut self, on: bool) -> Tree {
        self.count_steps = on;
        self
    }

    /// The largest number of parameters in any shape.
    pub fn max_params(&self) -> usize {
        self.max_params
    }

    /// The length of the capture buffer [`Tree::lookup`] needs: `2 * max_params + 2`, the same
    /// as `offsetsLength` in `src/match/core.ts`.
    pub fn captures_len(&self) -> usize {
        2 * self.max_params + 2
    }

    /// Number of routes the tree was built from.
    pub fn routes(&self) -> usize {
        self.routes
    }

    /// Number of nodes (for tests and diagnostics).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Number of distinct REGEX sources.
    pub fn regex_count(&self) -> usize {
        self.sources.len()
    }

    pub fn options(&self) -> Options {
        self.options
    }

    /// True when the tree has guards (the method argument matters).
    pub fn has_guards(&self) -> bool {
        self.guards.is_some()
    }

    /// Matches `path` (UTF-16 code units) for every method. Returns the winning route index,
    /// or -1 (same as [`Tree::lookup_method`] with [`ALL_METHODS`]).
    pub fn lookup(&self, path: &[u16], captures: &mut [i32], scratch: &mut Scratch) -> i32 {
        self.lookup_method(path, ALL_METHODS, captures, scratch)
    }

    /// Matches `path` (UTF-16 code units) for the request method bit `method` (ignored by a
    /// tree without guards). Returns the winning route index, or -1.
    ///
    /// On a hit, `captures[2i]`, `captures[2i + 1]` are the start and end of the i-th parameter
    /// value and, for a catch-all route with `n` parameters, `captures[2n]` is the start of the
    /// remainder (it runs to the end of the original path). Other entries are unspecified. On a
    /// miss the contents are unspecified. A `captures` shorter than [`Tree::captures_len`] makes
    /// every lookup miss. Never panics.
    ///
    /// A hit on a checked route suspends the walk: if the caller's check rejects the route,
    /// [`Tree::resume`] (with the same path, captures and scratch) gives the next candidate.
    ///
    /// In a tree without guards nothing can suspend, and a lookup uses its own stack: a walk
    /// suspended by [`Tree::lookup_all`] survives it (so a visitor may look paths up).
    pub fn lookup_method(&self, path: &[u16], method: i32, captures: &mut [i32], scratch: &mut Scratch) -> i32 {
        let own = self.guards.is_none();
        if !own {
            scratch.suspended.active = false;
        }
        let Some(len) = self.prepare(path, captures, scratch, !own) else {
            return -1;
        };
        let full = path.len();
        let path = &path[..len];
        if self.plain {
            return match (self.options.case_sensitive, self.count_steps) {
                (true, false) => self.walk::<false, false>(path, captures, scratch),
                (false, false) => self.walk::<true, false>(path, captures, scratch),
                (true, true) => self.walk::<false, true>(path, captures, scratch),
                (false, true) => self.walk::<true, true>(path, captures, scratch),
            };
        }
        let start = Suspended::start(Mode::Lookup(method), full, len);
        if own {
            return self.run_general::<true>(path, captures, scratch, start);
        }
        scratch.stack.clear();
        self.run_general::<false>(path, captures, scratch, start)
    }

    /// Enumerates the routes whose pattern matches `path`, ignoring methods and conditions, in
    /// precedence order: returns the first (captures written, walk suspended) or -1; each
    /// [`Tree::resume`] returns the next, then -1.
    pub fn lookup_all(&self, path: &[u16], captures: &mut [i32], scratch: &mut Scratch) -> i32 {
        scratch.suspended.active = false;
        let Some(len) = self.prepare(path, captures, scratch, true) else {
            return -1;
        };
        scratch.stack.clear();
        self.run_general::<false>(&path[..len], captures, scratch, Suspended::start(Mode::All, path.len(), len))
    }

    /// Continues the walk suspended by the last [`Tree::lookup_method`] or [`Tree::lookup_all`]
    /// as if the route it returned were absent: the next candidate, or -1. `path` must be the
    /// same path (-1 if its length differs); -1 when nothing is suspended.
    pub fn resume(&self, path: &[u16], captures: &mut [i32], scratch: &mut Scratch) -> i32 {
        if !scratch.suspended.active || scratch.suspended.path_len != path.len() || captures.len() < self.captures_len()
        {
            scratch.suspended.active = false;
            return -1;
        }
        // A lookup that ran in between (from the caller's check or visitor) left its own
        // results in the memos, for its own path.
        if !scratch.memo_suspended {
            scratch.clear_memos();
            scratch.memo_suspended = true;
        }
        let len = scratch.suspended.len;
        self.run_general::<false>(&path[..len], captures, scratch, scratch.suspended)
    }

    /// Checks the path and buffer, resets the per-lookup memos (now the `suspendable` walk's or
    /// not); the length to match.
    #[inline(always)]
    fn prepare(&self, path: &[u16], captures: &[i32], scratch: &mut Scratch, suspendable: bool) -> Option<usize> {
        if captures.len() < self.captures_len() || path.first() != Some(&SLASH) {
            return None;
        }
        // Offsets are int32 in JavaScript; a JS string is far shorter than this anyway.
        if path.len() > i32::MAX as usize {
            return None;
        }
        let mut len = path.len();
        if self.options.ignore_trailing_slash && len > 1 && path[len - 1] == SLASH {
            len -= 1;
        }
        scratch.clear_memos();
        scratch.memo_suspended = suspendable;
        if self.count_steps {
            scratch.steps = 0;
        }
        Some(len)
    }

    /// The general walk from `start`: `OWN` on the stack of walks that cannot suspend, else on
    /// the suspendable walk's stack (its state saved in `scratch.suspended` when it stops).
    fn run_general<const OWN: bool>(
        &self,
        path: &[u16],
        captures: &mut [i32],
        scratch: &mut Scratch,
        start: Suspended,
    ) -> i32 {
        let mut stack = std::mem::take(if OWN { &mut scratch.own_stack } else { &mut scratch.stack });
        // A walk on its own stack always starts afresh: frames a finished walk left behind (it
        // returned at a slot with alternatives still stacked) must not be resumed by the next.
        if OWN {
            stack.clear();
        }
        let route = match (self.options.case_sensitive, self.count_steps) {
            (true, false) => self.walk_general::<false, false, OWN>(path, captures, scratch, &mut stack, start),
            (false, false) => self.walk_general::<true, false, OWN>(path, captures, scratch, &mut stack, start),
            (true, true) => self.walk_general::<false, true, OWN>(path, captures, scratch, &mut stack, start),
            (false, true) => self.walk_general::<true, true, OWN>(path, captures, scratch, &mut stack, start),
        };
        if OWN {
            scratch.own_stack = stack;
        } else {
            scratch.stack = stack;
        }
        route
    }

    #[cfg(test)]
    fn node_text(&self, node: &Node) -> &[u16] {
        let start = node.text_start as usize;
        &self.text[start..start + node.text_len as usize]
    }

    /// Whether the text of `child`, a static child found by [`Tree::child`] for the unit at
    /// `pos` (so its first unit already matched), continues at `pos + 1`. A one-unit text (a
    /// digit of a tenant number, say) is not read at all: the text pool's cache line is only
    /// touched for the rest of a longer text.
    #[inline(always)]
    fn rest_of_text_at<const FOLD: bool>(&self, child: &Node, path: &[u16], pos: usize) -> bool {
        let n = child.text_len as usize;
        if n == 1 {
            return true;
        }
        if path.len() - pos < n {
            return false;
        }
        if n <= HEAD + 1 {
            return eq::<FOLD>(&path[pos + 1..pos + n], &child.head[..n - 1]);
        }
        let start = child.text_start as usize;
        eq::<FOLD>(&path[pos + 1..pos + n], &self.text[start + 1..start + n])
    }

    /// The static child of `node` whose first code unit is `unit`.
    #[inline(always)]
    fn child(&self, node: &Node, unit: u16) -> Option<usize> {
        let start = node.children as usize;
        let count = node.children_len as usize;
        if count <= FIRSTS {
            return node.firsts[..count].iter().position(|&f| f == unit).map(|i| start + i);
        }
        if node.dense == INLINE_RANGE {
            // The range table kept in the node: lowest unit, span, then one byte per unit.
            let offset = unit.wrapping_sub(node.firsts[0]) as usize;
            if offset >= node.firsts[1] as usize {
                return None;
            }
            let entry = (node.firsts[2 + offset / 2] >> ((offset & 1) * 8)) as usize & 0xFF;
            return if entry == 0 { None } else { Some(start + entry - 1) };
        }
        if node.dense != NONE {
            let table = &self.dense[node.dense as usize..];
            // Units below the lowest first unit wrap to a large offset: outside the span too.
            let offset = unit.wrapping_sub(table[0]) as usize;
            if offset >= table[1] as usize {
                return None;
            }
            let entry = table[2 + offset] as usize;
            return if entry == 0 { None } else { Some(start + entry - 1) };
        }
        // Many children with first units spread too wide for a range table: sorted, searched.
        self.first[start..start + count].binary_search(&unit).ok().map(|i| start + i)
    }

    /// The walk for tables without constrained parameters and without guards: every slot
    /// found is the answer, so there is nothing to suspend.
    fn walk<const FOLD: bool, const COUNT: bool>(&self, path: &[u16], caps: &mut [i32], scratch: &mut Scratch) -> i32 {
        scratch.own_stack.clear();
        let len = path.len();
        let mut id = ROOT;
        let mut pos = 0usize;
        let mut k = 0usize;
        let mut stage = 0u32;
        'walk: loop {
            if COUNT {
                scratch.steps += 1;
            }
            let node = &self.nodes[id];
            'alternatives: {
                if stage == 0 {
                    if pos == len {
                        // The path ends here: a route ending here beats a catch-all here;
                        // neither a static child nor a param can match nothing.
                        if node.end != NONE {
                            return node.end as i32;
                        }
                        if node.catch_all != NONE {
                            caps[2 * k] = pos as i32;
                            return node.catch_all as i32;
                        }
                        break 'alternatives;
                    }
                    let unit = if FOLD { fold(path[pos]) } else { path[pos] };
                    if let Some(child) = self.child(node, unit) {
                        let child_node = &self.nodes[child];
                        if COUNT {
                            scratch.steps += child_node.text_len as u64;
                        }
                        if self.rest_of_text_at::<FOLD>(child_node, path, pos) {
                            if node.param != NONE || node.catch_all != NONE {
                                scratch.own_stack.push(Frame {
                                    node: id as u32,
                                    pos: pos as u32,
                                    params: k as u32,
                                    stage: STAGE_PARAM,
                                });
                            }
                            id = child;
                            pos += child_node.text_len as usize;
                            continue 'walk;
                        }
                    }
                    stage = STAGE_PARAM;
                }
                if stage == STAGE_PARAM && node.param != NONE {
                    let end = scratch.segment_end::<COUNT>(path, pos);
                    if end > pos {
                        if node.catch_all != NONE {
                            scratch.own_stack.push(Frame {
                                node: id as u32,
                                pos: pos as u32,
                                params: k as u32,
                                stage: STAGE_CATCH_ALL,
                            });
                        }
                        caps[2 * k] = pos as i32;
                        caps[2 * k + 1] = end as i32;
                        k += 1;
                        id = node.param as usize;
                        pos = end;
                        stage = 0;
                        continue 'walk;
                    }
                }
                // STAGE_CATCH_ALL (pos < len here).
                if node.catch_all != NONE && path[pos] == SLASH {
                    caps[2 * k] = pos as i32;
                    return node.catch_all as i32;
                }
            }
            match scratch.own_stack.pop() {
                Some(frame) => {
                    id = frame.node as usize;
                    pos = frame.pos as usize;
                    k = frame.params as usize;
                    stage = frame.stage;
                }
                None => return -1,
            }
        }
    }

    /// What to do at a slot holding `route`.
    #[inline(always)]
    fn slot(&self, route: u32, mode: Mode) -> Slot {
        match mode {
            Mode::All => Slot::Suspend,
            Mode::Lookup(method) => match &self.guards {
                None => Slot::Take,
                Some(g) => {
                    let r = route as usize;
                    if g.methods[r] & method == 0 {
                        Slot::Absent
                    } else if g.checked[r] == 1 {
                        Slot::Suspend
                    } else {
                        Slot::Take
                    }
                }
            },
        }
    }

    /// The walk with constrained parameters, guards and suspension, continuing from `s` (a
    /// fresh walk starts at the root) on `stack`. A suspension is saved in `scratch.suspended`
    /// (never for `OWN`, whose lookups cannot suspend).
    fn walk_general<const FOLD: bool, const COUNT: bool, const OWN: bool>(
        &self,
        path: &[u16],
        caps: &mut [i32],
        scratch: &mut Scratch,
        stack: &mut Vec<Frame>,
        s: Suspended,
    ) -> i32 {
        let len = s.len;
        let mode = s.mode;
        let mut id = s.node as usize;
        let mut pos = s.pos as usize;
        let mut k = s.params as usize;
        let mut stage = s.stage;
        // Stops the walk at `route`: suspended to go on at `next`, or finished.
        macro_rules! stop {
            ($route:expr, $next:expr, $suspend:expr) => {{
                if !OWN {
                    scratch.suspended = Suspended {
                        active: $suspend,
                        node: id as u32,
                        pos: pos as u32,
                        params: k as u32,
                        stage: $next,
                        ..s
                    };
                }
                return $route as i32;
            }};
        }
        'walk: loop {
            if COUNT {
                scratch.steps += 1;
            }
            let node = &self.nodes[id];
            'alternatives: {
                if stage == G_BACKTRACK {
                    break 'alternatives;
                }
                if stage == G_ENTER {
                    if pos == len {
                        if node.end != NONE {
                            match self.slot(node.end, mode) {
                                Slot::Take => stop!(node.end, G_BACKTRACK, false),
                                Slot::Suspend => stop!(node.end, G_END_CATCH_ALL, true),
                                Slot::Absent => {}
                            }
                        }
                        stage = G_END_CATCH_ALL;
                    } else {
                        let unit = if FOLD { fold(path[pos]) } else { path[pos] };
                        if let Some(child) = self.child(node, unit) {
                            let child_node = &self.nodes[child];
                            if COUNT {
                                scratch.steps += child_node.text_len as u64;
                            }
                            if self.rest_of_text_at::<FOLD>(child_node, path, pos) {
                                if self.param_start[id + 1] > self.param_start[id] || node.catch_all != NONE {
                                    stack.push(Frame {
                                        node: id as u32,
                                        pos: pos as u32,
                                        params: k as u32,
                                        stage: G_PARAMS,
                                    });
                                }
                                id = child;
                                pos += child_node.text_len as usize;
                                continue 'walk;
                            }
                        }
                        stage = G_PARAMS;
                    }
                }
                if stage == G_END_CATCH_ALL {
                    // pos == len: a catch-all here matches zero segments.
                    if node.catch_all != NONE {
                        caps[2 * k] = pos as i32;
                        match self.slot(node.catch_all, mode) {
                            Slot::Take => stop!(node.catch_all, G_BACKTRACK, false),
                            Slot::Suspend => stop!(node.catch_all, G_BACKTRACK, true),
                            Slot::Absent => {}
                        }
                    }
                    break 'alternatives;
                }
                if stage >= G_PARAMS && stage != G_CATCH_ALL {
                    let from = self.param_start[id] as usize;
                    let edges = &self.param_edges[from..self.param_start[id + 1] as usize];
                    let mut j = (stage - G_PARAMS) as usize;
                    if j < edges.len() {
                        let end = scratch.segment_end::<COUNT>(path, pos);
                        if end > pos {
                            while j < edges.len() {
                                let edge = edges[j];
                                j += 1;
                                if edge.regex == NONE || self.constraint::<COUNT>(edge.regex, path, pos, end, scratch) {
                                    if j < edges.len() || node.catch_all != NONE {
                                        stack.push(Frame {
                                            node: id as u32,
                                            pos: pos as u32,
                                            params: k as u32,
                                            stage: G_PARAMS + j as u32,
                                        });
                                    }
                                    caps[2 * k] = pos as i32;
                                    caps[2 * k + 1] = end as i32;
                                    k += 1;
                                    id = edge.node as usize;
                                    pos = end;
                                    stage = G_ENTER;
                                    continue 'walk;
                                }
                            }
                        }
                    }
                }
                // G_CATCH_ALL (pos < len here).
                if node.catch_all != NONE && path[pos] == SLASH {
                    caps[2 * k] = pos as i32;
                    match self.slot(node.catch_all, mode) {
                        Slot::Take => stop!(node.catch_all, G_BACKTRACK, false),
                        Slot::Suspend => stop!(node.catch_all, G_BACKTRACK, true),
                        Slot::Absent => {}
                    }
                }
            }
            match stack.pop() {
                Some(frame) => {
                    id = frame.node as usize;
                    pos = frame.pos as usize;
                    k = frame.params as usize;
                    stage = frame.stage;
                }
                None => {
                    if !OWN {
                        scratch.suspended.active = false;
                    }
                    return -1;
                }
            }
        }
    }

    /// Whether regex `regex` matches the whole segment `path[pos..end]`: never for a segment
    /// with a non-ASCII unit (core.ts), remembered for a long segment.
    #[inline]
    fn constraint<const COUNT: bool>(
        &self,
        regex: u32,
        path: &[u16],
        pos: usize,
        end: usize,
        scratch: &mut Scratch,
    ) -> bool {
        let long = end - pos >= LONG_SEGMENT;
        let key = (regex as u64) << 32 | pos as u64;
        if long {
            if let Some(&hit) = scratch.regex_results.get(&key) {
                return hit;
            }
        }
        if COUNT {
            scratch.steps += (end - pos) as u64;
        }
        scratch.bytes.clear();
        let mut ascii = true;
        for &unit in &path[pos..end] {
            if unit >= 0x80 {
                ascii = false;
                break;
            }
            scratch.bytes.push(unit as u8);
        }
        #[cfg(test)]
        {
            scratch.regex_runs += ascii as usize;
        }
        let hit = ascii && self.regexes[regex as usize].is_match(&scratch.bytes);
        if long {
            scratch.regex_results.insert(key, hit);
        }
        hit
    }
}

/// What the general walk does at a route slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// The answer: the walk ends.
    Take,
    /// A candidate for the caller to check: the walk suspends.
    Suspend,
    /// The route does not take this method: as if it were not in the table.
    Absent,
}

/// ASCII-only lower-casing of one UTF-16 code unit.
#[inline(always)]
pub fn fold(unit: u16) -> u16 {
    if (b'A' as u16..=b'Z' as u16).contains(&unit) {
        unit | 0x20
    } else {
        unit
    }
}

/// `path == text` (with `path` folded if `FOLD`; `text` is folded already). Equal lengths.
/// Edges are short, so this compares four units at a time inline instead of calling memcmp.
#[inline(always)]
fn eq<const FOLD: bool>(path: &[u16], text: &[u16]) -> bool {
    if FOLD {
        return path.iter().zip(text).all(|(&p, &t)| fold(p) == t);
    }
    let mut a = path.chunks_exact(4);
    let mut b = text.chunks_exact(4);
    for (x, y) in (&mut a).zip(&mut b) {
        let x: [u16; 4] = [x[0], x[1], x[2], x[3]];
        let y: [u16; 4] = [y[0], y[1], y[2], y[3]];
        if x != y {
            return false;
        }
    }
    a.remainder().iter().zip(b.remainder()).all(|(p, t)| p == t)
}

impl Scratch {
    /// True while a walk is suspended ([`Tree::resume`] would continue it).
    pub fn is_suspended(&self) -> bool {
        self.suspended.active
    }

    /// Empties the per-lookup memos (giving back memory a huge path took).
    fn clear_memos(&mut self) {
        if !self.long_segments.is_empty() {
            self.long_segments.clear();
            if self.long_segments.capacity() > 1024 {
                self.long_segments.shrink_to(64);
            }
        }
        if !self.regex_results.is_empty() {
            self.regex_results.clear();
            if self.regex_results.capacity() > 1024 {
                self.regex_results.shrink_to(64);
            }
        }
        if self.bytes.capacity() > 1 << 16 {
            self.bytes = Vec::new();
        }
    }

    /// Forgets a suspended walk (the next [`Tree::resume`] returns -1).
    pub fn discard(&mut self) {
        self.suspended.active = false;
    }

    /// The end of the segment starting at `pos`: the index of the next `/`, or the path's
    /// length. A long segment's end is remembered, so it is scanned once per lookup.
    #[inline(always)]
    fn segment_end<const COUNT: bool>(&mut self, path: &[u16], pos: usize) -> usize {
        if !self.long_segments.is_empty() {
            if let Some(&end) = self.long_segments.get(&(pos as u32)) {
                return end as usize;
            }
        }
        let end = match path[pos..].iter().position(|&u| u == SLASH) {
            Some(i) => pos + i,
            None => path.len(),
        };
        if COUNT {
            self.steps += (end - pos) as u64;
        }
        #[cfg(test)]
        {
            self.scanned += end - pos;
        }
        if end - pos >= LONG_SEGMENT {
            self.long_segments.insert(pos as u32, end as u32);
        }
        end
    }
}

const ROOT: usize = 0;

/// Nodes with more than `FIRSTS` static children get a range table when their first units
/// span at most this many values (every ASCII child set does: a table of 2 + span `u16`s,
/// 26 bytes for the children `/`, `0`-`9` of a tenant-number node, where a 128-entry `u32`
/// table took 512 bytes and a thousand of them crowded the cache).
const DENSE_SPAN: usize = 128;

/// A node while the tree is being built.
#[derive(Debug, Clone)]
struct BuildNode {
    text: Vec<u16>,
    children: Vec<usize>,
    param: usize,
    /// Constrained param children: (regex id, node).
    constrained: Vec<(u32, usize)>,
    end: u32,
    catch_all: u32,
}

impl BuildNode {
    fn new(text: Vec<u16>) -> Self {
        BuildNode { text, children: Vec::new(), param: usize::MAX, constrained: Vec::new(), end: NONE, catch_all: NONE }
    }
}

struct Builder {
    nodes: Vec<BuildNode>,
    regexes: Vec<regex::bytes::Regex>,
    sources: Vec<String>,
    regex_ids: HashMap<String, u32>,
}

impl Builder {
    fn new() -> Self {
        Builder {
            nodes: vec![BuildNode::new(Vec::new())],
            regexes: Vec::new(),
            sources: Vec::new(),
            regex_ids: HashMap::new(),
        }
    }

    /// The id of the regex with this source, compiled on first sight (invariant 7).
    fn regex(&mut self, source: &[u16], route: usize, segment: usize) -> Result<u32, ShapeError> {
        let source = String::from_utf16(source).map_err(|_| ShapeError::RegexNotUnicode { route, segment })?;
        if let Some(&id) = self.regex_ids.get(&source) {
            return Ok(id);
        }
        let refuse = |e: regex::Error| ShapeError::Regex {
            route,
            segment,
            source: source.clone(),
            message: match e {
                regex::Error::Syntax(s) => s,
                other => other.to_string(),
            },
        };
        // RE2's meaning in the crate's syntax (re2.rs). Parsed alone first: `a)|(b` would be
        // a valid regex once wrapped, with another meaning.
        let rust = crate::re2::to_rust_syntax(&source);
        regex_syntax::ast::parse::Parser::new()
            .parse(&rust)
            .map_err(|e| refuse(regex::Error::Syntax(e.to_string())))?;
        let compiled = regex::bytes::RegexBuilder::new(&format!("^(?:{rust})$")).build().map_err(refuse)?;
        let id = self.regexes.len() as u32;
        self.regexes.push(compiled);
        self.sources.push(source.clone());
        self.regex_ids.insert(source, id);
        Ok(id)
    }

    /// The node for `at`'s full text followed by `text`, created (splitting an edge if
    /// needed) when absent.
    fn insert_text(&mut self, mut at: usize, mut text: &[u16]) -> usize {
        while !text.is_empty() {
            let found = self.nodes[at].children.iter().position(|&c| self.nodes[c].text[0] == text[0]);
            let Some(slot) = found else {
                let id = self.nodes.len();
                self.nodes.push(BuildNode::new(text.to_vec()));
                self.nodes[at].children.push(id);
                return id;
            };
            let child = self.nodes[at].children[slot];
            let common = self.nodes[child].text.iter().zip(text).take_while(|(a, b)| a == b).count();
            if common < self.nodes[child].text.len() {
                // Split `child` after `common` units: a new node takes the shared part and
                // adopts `child` (which keeps its slots, children and the rest of its text).
                let rest = self.nodes[child].text.split_off(common);
                let shared = std::mem::replace(&mut self.nodes[child].text, rest);
                let mid = self.nodes.len();
                let mut node = BuildNode::new(shared);
                node.children.push(child);
                self.nodes.push(node);
                self.nodes[at].children[slot] = mid;
                at = mid;
            } else {
                at = child;
            }
            text = &text[common..];
        }
        at
    }

    fn param_child(&mut self, at: usize) -> usize {
        if self.nodes[at].param == usize::MAX {
            let id = self.nodes.len();
            self.nodes.push(BuildNode::new(Vec::new()));
            self.nodes[at].param = id;
        }
        self.nodes[at].param
    }

    fn constrained_child(&mut self, at: usize, regex: u32) -> usize {
        if let Some(&(_, id)) = self.nodes[at].constrained.iter().find(|(r, _)| *r == regex) {
            return id;
        }
        let id = self.nodes.len();
        self.nodes.push(BuildNode::new(Vec::new()));
        self.nodes[at].constrained.push((regex, id));
        id
    }

    /// Lays the nodes out in depth-first order of child blocks (invariant 6).
    fn freeze(mut self, options: Options, max_params: usize, routes: usize) -> Tree {
        for i in 0..self.nodes.len() {
            let mut children = std::mem::take(&mut self.nodes[i].children);
            children.sort_by_key(|&c| self.nodes[c].text[0]);
            self.nodes[i].children = children;
            // Code-point order of the sources: Rust strings compare by UTF-8 bytes, which is
            // code-point order (UTF-16 unit order is not, above U+D7FF).
            let mut constrained = std::mem::take(&mut self.nodes[i].constrained);
            constrained.sort_by(|a, b| self.sources[a.0 as usize].cmp(&self.sources[b.0 as usize]));
            self.nodes[i].constrained = constrained;
        }
        // A node's block (its static children, consecutive ids, then its param children) is
        // laid out when the node is visited, in depth-first pre-order: after a block come the
        // blocks of its first node's subtree, then its second's, and so on. Breadth-first order
        // put each level of the tree in its own region, so a lookup in a wide table touched one
        // distant cache line per level.
        let mut order = Vec::with_capacity(self.nodes.len());
        let mut new_id = vec![usize::MAX; self.nodes.len()];
        order.push(ROOT);
        new_id[ROOT] = 0;
        let mut visit = vec![ROOT];
        while let Some(old) = visit.pop() {
            let block = order.len();
            for &c in &self.nodes[old].children {
                new_id[c] = order.len();
                order.push(c);
            }
            for &(_, c) in &self.nodes[old].constrained {
                new_id[c] = order.len();
                order.push(c);
            }
            let p = self.nodes[old].param;
            if p != usize::MAX {
                new_id[p] = order.len();
                order.push(p);
            }
            // Reversed onto the stack: the block's first node is visited first.
            visit.extend(order[block..].iter().rev());
        }
        let mut nodes = Vec::with_capacity(order.len());
        let mut first = Vec::with_capacity(order.len());
        let mut text = Vec::new();
        let mut dense = Vec::new();
        let mut param_start = Vec::with_capacity(order.len() + 1);
        let mut param_edges = Vec::new();
        for &old in &order {
            let b = &self.nodes[old];
            let text_start = text.len() as u32;
            text.extend_from_slice(&b.text);
            let lowest = b.children.first().map_or(0, |&c| self.nodes[c].text[0] as usize);
            let span = b.children.last().map_or(0, |&c| self.nodes[c].text[0] as usize + 1 - lowest);
            let mut firsts = [0; FIRSTS];
            let dense_start = if b.children.len() > FIRSTS && span <= INLINE_SPAN {
                firsts[0] = lowest as u16;
                firsts[1] = span as u16;
                for (offset, &c) in b.children.iter().enumerate() {
                    let at = self.nodes[c].text[0] as usize - lowest;
                    firsts[2 + at / 2] |= (offset as u16 + 1) << ((at & 1) * 8);
                }
                INLINE_RANGE
            } else if b.children.len() > FIRSTS && span <= DENSE_SPAN {
                let start = dense.len();
                dense.push(lowest as u16);
                dense.push(span as u16);
                dense.resize(start + 2 + span, 0);
                for (offset, &c) in b.children.iter().enumerate() {
                    dense[start + 2 + self.nodes[c].text[0] as usize - lowest] = offset as u16 + 1;
                }
                start as u32
            } else {
                NONE
            };
            let param = if b.param == usize::MAX { NONE } else { new_id[b.param] as u32 };
            param_start.push(param_edges.len() as u32);
            for &(regex, c) in &b.constrained {
                param_edges.push(ParamEdge { regex, node: new_id[c] as u32 });
            }
            if param != NONE {
                param_edges.push(ParamEdge { regex: NONE, node: param });
            }
            let mut head = [0; HEAD];
            if b.text.len() <= HEAD + 1 && !b.text.is_empty() {
                head[..b.text.len() - 1].copy_from_slice(&b.text[1..]);
            }
            if b.children.len() <= FIRSTS {
                for (f, &c) in firsts.iter_mut().zip(&b.children) {
                    *f = self.nodes[c].text[0];
                }
            }
            nodes.push(Node {
                head,
                firsts,
                dense: dense_start,
                text_start,
                text_len: b.text.len() as u32,
                children: b.children.first().map_or(0, |&c| new_id[c] as u32),
                children_len: b.children.len() as u32,
                param,
                end: b.end,
                catch_all: b.catch_all,
            });
            first.push(b.text.first().copied().unwrap_or(0));
        }
        param_start.push(param_edges.len() as u32);
        let plain = self.regexes.is_empty();
        Tree {
            nodes,
            first,
            text,
            dense,
            param_start,
            param_edges,
            regexes: self.regexes,
            sources: self.sources,
            guards: None,
            plain,
            count_steps: false,
            options,
            max_params,
            routes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CS: Options = Options { case_sensitive: true, ignore_trailing_slash: false };
    const CI: Options = Options { case_sensitive: false, ignore_trailing_slash: false };
    const ITS: Options = Options { case_sensitive: true, ignore_trailing_slash: true };

    /// A pattern in SPEC syntax to a shape (the TypeScript side's job, simplified).
    fn shape(pattern: &str) -> Vec<String> {
        assert!(pattern.starts_with('/'), "{pattern}");
        let segments: Vec<&str> = pattern[1..].split('/').collect();
        let n = segments.len();
        segments
            .iter()
            .enumerate()
            .map(|(i, s)| if s.starts_with(':') || (*s == "*" && i + 1 < n) { ":".to_string() } else { s.to_string() })
            .collect()
    }

    /// What the TypeScript side hands the tree under `options`: static text lower-cased when
    /// case-insensitive, a trailing empty segment dropped under ignoreTrailingSlash.
    fn canonical(mut shape: Vec<String>, options: Options) -> Vec<String> {
        if options.ignore_trailing_slash && shape.len() > 1 && shape.last().is_some_and(|s| s.is_empty()) {
            shape.pop();
        }
        if !options.case_sensitive {
            shape = shape.iter().map(|s| s.to_ascii_lowercase()).collect();
        }
        shape
    }

    fn tree(patterns: &[&str], options: Options) -> Tree {
        let shapes: Vec<Vec<String>> = patterns.iter().map(|p| canonical(shape(p), options)).collect();
        let tree = Tree::from_strs(&shapes, options).unwrap();
        tree.check_invariants();
        tree
    }

    #[derive(Debug, PartialEq)]
    struct Hit {
        pattern: String,
        params: Vec<String>,
        remainder: Option<String>,
    }

    fn utf16(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    /// Looks `path` up and materializes the match the way src/match/materialize.ts does.
    fn lookup16(tree: &Tree, patterns: &[&str], path: &[u16]) -> Option<Hit> {
        let mut caps = vec![-7; tree.captures_len()];
        let mut scratch = Scratch::default();
        let r = tree.lookup(path, &mut caps, &mut scratch);
        if r < 0 {
            assert_eq!(r, -1);
            return None;
        }
        let pattern = patterns[r as usize];
        let s = shape(pattern);
        let n = s.iter().filter(|x| *x == ":").count();
        let params = (0..n)
            .map(|i| {
                let (a, b) = (caps[2 * i] as usize, caps[2 * i + 1] as usize);
                assert!(a < b && b <= path.len(), "param {i} = {a}..{b} in {path:?}");
                String::from_utf16_lossy(&path[a..b])
            })
            .collect();
        let remainder = if s.last().map(String::as_str) == Some("*") {
            let a = caps[2 * n] as usize;
            assert!(a <= path.len());
            Some(String::from_utf16_lossy(&path[a..]))
        } else {
            None
        };
        Some(Hit { pattern: pattern.to_string(), params, remainder })
    }

    fn lookup(tree: &Tree, patterns: &[&str], path: &str) -> Option<Hit> {
        lookup16(tree, patterns, &utf16(path))
    }

    /// The pattern that wins `path`, or `None`.
    fn winner(patterns: &[&str], options: Options, path: &str) -> Option<String> {
        let t = tree(patterns, options);
        lookup(&t, patterns, path).map(|h| h.pattern)
    }

    fn hit(pattern: &str, params: &[&str], remainder: Option<&str>) -> Option<Hit> {
        Some(Hit {
            pattern: pattern.to_string(),
            params: params.iter().map(|s| s.to_string()).collect(),
            remainder: remainder.map(str::to_string),
        })
    }

    impl Tree {
        /// Asserts the documented invariants of the frozen layout.
        fn check_invariants(&self) {
            let mut seen_as_child = vec![false; self.nodes.len()];
            for (id, node) in self.nodes.iter().enumerate() {
                let text = self.node_text(node);
                if id != ROOT && !is_param_node(self, id) {
                    assert!(!text.is_empty(), "node {id} has empty text");
                    assert_eq!(self.first[id], text[0]);
                }
                let start = node.children as usize;
                let firsts = &self.first[start..start + node.children_len as usize];
                assert!(firsts.windows(2).all(|w| w[0] < w[1]), "children of {id} not sorted/unique");
                for (c, seen) in seen_as_child.iter_mut().enumerate().skip(start).take(node.children_len as usize) {
                    assert!(!*seen, "node {c} has two parents");
                    *seen = true;
                    assert!(!self.node_text(&self.nodes[c]).is_empty());
                    if is_param_node(self, id) {
                        assert_eq!(self.first[c], SLASH, "static child of param node must start with /");
                    }
                }
                let span = firsts.last().map_or(0, |&l| (l - firsts[0]) as usize + 1);
                if firsts.len() <= FIRSTS {
                    assert_eq!(&node.firsts[..firsts.len()], firsts, "first units kept in {id}");
                    assert!(node.firsts[firsts.len()..].iter().all(|&f| f == 0));
                }
                if text.len() <= HEAD + 1 && !text.is_empty() {
                    assert_eq!(&node.head[..text.len() - 1], &text[1..], "text kept in {id}");
                }
                if node.dense != NONE {
                    assert!(node.children_len as usize > FIRSTS && span <= DENSE_SPAN);
                    if node.dense == INLINE_RANGE {
                        assert!(span <= INLINE_SPAN);
                        assert_eq!((node.firsts[0], node.firsts[1] as usize), (firsts[0], span), "range of {id}");
                    } else {
                        assert!(span > INLINE_SPAN);
                        let table = &self.dense[node.dense as usize..];
                        assert_eq!((table[0], table[1] as usize), (firsts[0], span), "range table of {id}");
                    }
                    let around = firsts[0].saturating_sub(2)..=firsts[firsts.len() - 1].saturating_add(2);
                    for unit in around.chain([0, u16::MAX]) {
                        let want = firsts.iter().position(|&f| f == unit).map(|i| start + i);
                        assert_eq!(self.child(node, unit), want, "range table of {id} at {unit}");
                    }
                } else {
                    assert!(node.children_len as usize <= FIRSTS || span > DENSE_SPAN);
                }
                let edges = &self.param_edges[self.param_start[id] as usize..self.param_start[id + 1] as usize];
                for (i, e) in edges.iter().enumerate() {
                    let p = e.node as usize;
                    assert!(!seen_as_child[p]);
                    seen_as_child[p] = true;
                    assert_eq!(self.nodes[p].text_len, 0);
                    assert_eq!(text.last(), Some(&SLASH), "param child under node {id} not at a segment start");
                    if e.regex == NONE {
                        assert_eq!(i + 1, edges.len(), "the plain param is the last edge");
                        assert_eq!(node.param, e.node);
                    } else if i > 0 {
                        let before = &self.sources[edges[i - 1].regex as usize];
                        assert!(
                            before < &self.sources[e.regex as usize],
                            "constrained edges of {id} not in code-point order"
                        );
                    }
                }
                assert_eq!(node.param == NONE, edges.last().is_none_or(|e| e.regex != NONE));
            }
            assert!(!seen_as_child[ROOT]);
            assert!(seen_as_child[1..].iter().all(|&s| s), "unreachable node");
        }
    }

    fn is_param_node(tree: &Tree, id: usize) -> bool {
        tree.param_edges.iter().any(|e| e.node as usize == id)
    }

    // ---- SPEC section 2: pattern syntax ----

    #[test]
    fn static_routes() {
        let p = ["/users", "/v1.json", "/abc:run", "/api/users", "/"];
        let t = tree(&p, CS);
        for path in p {
            assert_eq!(lookup(&t, &p, path), hit(path, &[], None));
        }
        assert_eq!(lookup(&t, &p, "/user"), None);
        assert_eq!(lookup(&t, &p, "/usersx"), None);
        assert_eq!(lookup(&t, &p, "/users/"), None);
        assert_eq!(lookup(&t, &p, "/Users"), None);
        assert_eq!(lookup(&t, &p, "/api"), None);
        assert_eq!(lookup(&t, &p, "/api/users/x"), None);
        assert_eq!(lookup(&t, &p, "//"), None);
    }

    #[test]
    fn catch_all_matches_zero_or_more_segments() {
        let p = ["/api/*"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/api"), hit("/api/*", &[], Some("")));
        assert_eq!(lookup(&t, &p, "/api/"), hit("/api/*", &[], Some("/")));
        assert_eq!(lookup(&t, &p, "/api/x"), hit("/api/*", &[], Some("/x")));
        assert_eq!(lookup(&t, &p, "/api/x/y"), hit("/api/*", &[], Some("/x/y")));
        assert_eq!(lookup(&t, &p, "/api//x"), hit("/api/*", &[], Some("//x")));
        assert_eq!(lookup(&t, &p, "/apix"), None);
        assert_eq!(lookup(&t, &p, "/ap"), None);
        assert_eq!(lookup(&t, &p, "/"), None);
    }

    #[test]
    fn root_catch_all_matches_every_path() {
        let p = ["/*"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/"), hit("/*", &[], Some("/")));
        assert_eq!(lookup(&t, &p, "/about"), hit("/*", &[], Some("/about")));
        assert_eq!(lookup(&t, &p, "/a/b/c/"), hit("/*", &[], Some("/a/b/c/")));
        assert_eq!(lookup(&t, &p, "//"), hit("/*", &[], Some("//")));
        assert_eq!(lookup(&t, &p, ""), None);
        assert_eq!(lookup(&t, &p, "about"), None);
    }

    #[test]
    fn root_route_and_root_catch_all() {
        let p = ["/", "/*"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/"), hit("/", &[], None));
        assert_eq!(lookup(&t, &p, "/x"), hit("/*", &[], Some("/x")));
    }

    #[test]
    fn named_and_anonymous_params() {
        let p = ["/users/:id", "/files/*/raw", "/a/:x/b/:y", "/:org/:repo/*"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/users/42"), hit("/users/:id", &["42"], None));
        assert_eq!(lookup(&t, &p, "/files/abc/raw"), hit("/files/*/raw", &["abc"], None));
        assert_eq!(lookup(&t, &p, "/a/1/b/2"), hit("/a/:x/b/:y", &["1", "2"], None));
        assert_eq!(lookup(&t, &p, "/o/r/x/y"), hit("/:org/:repo/*", &["o", "r"], Some("/x/y")));
        assert_eq!(lookup(&t, &p, "/o/r"), hit("/:org/:repo/*", &["o", "r"], Some("")));
        assert_eq!(lookup(&t, &p, "/o/r/"), hit("/:org/:repo/*", &["o", "r"], Some("/")));
    }

    #[test]
    fn param_never_matches_an_empty_segment() {
        let p = ["/users/:id", "/a/:x/b"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/users/"), None);
        assert_eq!(lookup(&t, &p, "/users"), None);
        assert_eq!(lookup(&t, &p, "/users//"), None);
        assert_eq!(lookup(&t, &p, "/a//b"), None);
        assert_eq!(lookup(&t, &p, "/users/x/"), None);
        assert_eq!(lookup(&t, &p, "/users/x/y"), None);
    }

    #[test]
    fn param_value_stops_at_slash_only() {
        let p = ["/u/:id", "/u/:id/x"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/u/a.b:c;d%20e"), hit("/u/:id", &["a.b:c;d%20e"], None));
        assert_eq!(lookup(&t, &p, "/u/a.b/x"), hit("/u/:id/x", &["a.b"], None));
    }

    #[test]
    fn trailing_slash_is_significant_by_default() {
        let p = ["/docs", "/docs/"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/docs"), hit("/docs", &[], None));
        assert_eq!(lookup(&t, &p, "/docs/"), hit("/docs/", &[], None));
        let p = ["/docs"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/docs/"), None);
    }

    #[test]
    fn static_segment_with_colon_is_static() {
        let p = ["/v1/abc:run", "/v1/:x"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/v1/abc:run"), hit("/v1/abc:run", &[], None));
        assert_eq!(lookup(&t, &p, "/v1/abc:walk"), hit("/v1/:x", &["abc:walk"], None));
    }

    // ---- SPEC section 3: precedence ----

    #[test]
    fn spec_precedence_table() {
        assert_eq!(winner(&["/api/users", "/api/*"], CS, "/api/users").unwrap(), "/api/users");
        assert_eq!(winner(&["/api/*", "/api/users"], CS, "/api/users").unwrap(), "/api/users");
        assert_eq!(winner(&["/api/:x/c", "/api/b/*"], CS, "/api/b/c").unwrap(), "/api/b/*");
        assert_eq!(winner(&["/api/b/*", "/api/:x/c"], CS, "/api/b/c").unwrap(), "/api/b/*");
        assert_eq!(winner(&["/a/:x/c", "/a/*"], CS, "/a/b/d").unwrap(), "/a/*");
        assert_eq!(winner(&["/a/*", "/a/:x/c"], CS, "/a/b/d").unwrap(), "/a/*");
        let p = ["/api/*", "/api/v2/*", "/*"];
        assert_eq!(winner(&p, CS, "/api/v2/users/1").unwrap(), "/api/v2/*");
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/api/v2/users/1"), hit("/api/v2/*", &[], Some("/users/1")));
        assert_eq!(lookup(&t, &p, "/api/v3"), hit("/api/*", &[], Some("/v3")));
        assert_eq!(lookup(&t, &p, "/api/v2"), hit("/api/v2/*", &[], Some("")));
        assert_eq!(lookup(&t, &p, "/apiv2"), hit("/*", &[], Some("/apiv2")));
        assert_eq!(lookup(&t, &p, "/"), hit("/*", &[], Some("/")));
    }

    #[test]
    fn route_ending_here_beats_catch_all_here() {
        for p in [["/api", "/api/*"], ["/api/*", "/api"]] {
            let t = tree(&p, CS);
            assert_eq!(lookup(&t, &p, "/api"), hit("/api", &[], None));
            assert_eq!(lookup(&t, &p, "/api/"), hit("/api/*", &[], Some("/")));
            assert_eq!(lookup(&t, &p, "/api/x"), hit("/api/*", &[], Some("/x")));
        }
        // The empty last segment is static and beats the catch-all at that segment.
        let p = ["/api/", "/api/*"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/api/"), hit("/api/", &[], None));
        assert_eq!(lookup(&t, &p, "/api"), hit("/api/*", &[], Some("")));
    }

    #[test]
    fn param_never_matches_a_missing_segment() {
        let p = ["/api/:id", "/api/*"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/api"), hit("/api/*", &[], Some("")));
        assert_eq!(lookup(&t, &p, "/api/"), hit("/api/*", &[], Some("/")));
        assert_eq!(lookup(&t, &p, "/api/7"), hit("/api/:id", &["7"], None));
        assert_eq!(lookup(&t, &p, "/api/7/x"), hit("/api/*", &[], Some("/7/x")));
    }

    #[test]
    fn static_beats_param_beats_catch_all_at_each_segment() {
        let p = ["/a/*", "/a/:x", "/a/b"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/a/b"), hit("/a/b", &[], None));
        assert_eq!(lookup(&t, &p, "/a/c"), hit("/a/:x", &["c"], None));
        assert_eq!(lookup(&t, &p, "/a/bb"), hit("/a/:x", &["bb"], None));
        assert_eq!(lookup(&t, &p, "/a/"), hit("/a/*", &[], Some("/")));
        assert_eq!(lookup(&t, &p, "/a/b/c"), hit("/a/*", &[], Some("/b/c")));
        // A deeper static beats a shallower param only through its own segment.
        let p = ["/:x/b", "/a/:y"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/a/b"), hit("/a/:y", &["b"], None));
        assert_eq!(lookup(&t, &p, "/z/b"), hit("/:x/b", &["z"], None));
    }

    #[test]
    fn backtracking_across_several_levels() {
        let p = ["/a/b/c/d", "/a/:x/c/e", "/a/:x/:y/f", "/:p/b/c/g", "/a/*"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/a/b/c/d"), hit("/a/b/c/d", &[], None));
        assert_eq!(lookup(&t, &p, "/a/b/c/e"), hit("/a/:x/c/e", &["b"], None));
        assert_eq!(lookup(&t, &p, "/a/b/c/f"), hit("/a/:x/:y/f", &["b", "c"], None));
        assert_eq!(lookup(&t, &p, "/a/b/c/g"), hit("/a/*", &[], Some("/b/c/g")));
        assert_eq!(lookup(&t, &p, "/z/b/c/g"), hit("/:p/b/c/g", &["z"], None));
        assert_eq!(lookup(&t, &p, "/z/b/c/h"), None);
    }

    #[test]
    fn params_are_restored_when_backtracking() {
        let p = ["/:a/:b/x", "/:a/y/z", "/:a/*", "/k/*"];
        let t = tree(&p, CS);
        // Static `k` beats `:a` at segment 1, and its branch has a complete match.
        assert_eq!(lookup(&t, &p, "/k/y/z"), hit("/k/*", &[], Some("/y/z")));
        assert_eq!(lookup(&t, &p, "/j/y/z"), hit("/:a/y/z", &["j"], None));
        // `:b` captures `q`, fails at `/w`: the catch-all after `:a` has one parameter.
        assert_eq!(lookup(&t, &p, "/j/q/w"), hit("/:a/*", &["j"], Some("/q/w")));
        // Static `y` fails deeper, `:b` takes `y`.
        assert_eq!(lookup(&t, &p, "/j/y/x"), hit("/:a/:b/x", &["j", "y"], None));
        let p = ["/:a/:b/:c/x", "/:a/*"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/1/2/3/y"), hit("/:a/*", &["1"], Some("/2/3/y")));
        assert_eq!(lookup(&t, &p, "/1/2/3/x"), hit("/:a/:b/:c/x", &["1", "2", "3"], None));
    }

    #[test]
    fn edges_split_inside_segments() {
        let p = ["/abc", "/abd", "/ab", "/ab/*", "/a", "/abcd/:x", "/:x"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/abc"), hit("/abc", &[], None));
        assert_eq!(lookup(&t, &p, "/abd"), hit("/abd", &[], None));
        assert_eq!(lookup(&t, &p, "/ab"), hit("/ab", &[], None));
        assert_eq!(lookup(&t, &p, "/a"), hit("/a", &[], None));
        assert_eq!(lookup(&t, &p, "/ab/q"), hit("/ab/*", &[], Some("/q")));
        assert_eq!(lookup(&t, &p, "/abcd/q"), hit("/abcd/:x", &["q"], None));
        assert_eq!(lookup(&t, &p, "/abe"), hit("/:x", &["abe"], None));
        assert_eq!(lookup(&t, &p, "/abcd"), hit("/:x", &["abcd"], None));
        assert_eq!(lookup(&t, &p, "/abcde"), hit("/:x", &["abcde"], None));
        assert_eq!(lookup(&t, &p, "/abc/q"), None);
        // Inserting in another order gives the same answers.
        let mut q = p;
        q.reverse();
        let t2 = tree(&q, CS);
        for path in ["/abc", "/abd", "/ab", "/a", "/ab/q", "/abcd/q", "/abe", "/abcd", "/abc/q", "/"] {
            assert_eq!(lookup(&t, &p, path), lookup(&t2, &q, path), "{path}");
        }
    }

    #[test]
    fn wide_fan_out_with_non_ascii_first_units() {
        // More children than the range-table threshold, some starting outside ASCII (first
        // units spread too wide for a range table: found by the sorted search instead), at the
        // first segment and after a param.
        let firsts =
            ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "é", "ü", "日", "😀", "ÿ", "Ā", "~", "0", "Z"];
        let mut patterns: Vec<String> = Vec::new();
        for c in firsts {
            patterns.push(format!("/{c}x"));
            patterns.push(format!("/p/:id/{c}y"));
        }
        patterns.push("/:other".to_string());
        let p: Vec<&str> = patterns.iter().map(String::as_str).collect();
        let t = tree(&p, CS);
        for (i, pattern) in p.iter().enumerate().filter(|(_, p)| !p.starts_with("/:")) {
            let path = pattern.replace(":id", "7");
            assert_eq!(lookup(&t, &p, &path).unwrap().pattern, p[i], "{path}");
        }
        assert_eq!(lookup(&t, &p, "/éz").unwrap().pattern, "/:other");
        assert_eq!(lookup(&t, &p, "/\u{7f}x").unwrap().pattern, "/:other");
        assert_eq!(lookup(&t, &p, "/p/7/日z"), None);
        assert_eq!(lookup(&t, &p, "/p/7/😀y").unwrap().pattern, "/p/:id/😀y");
        let t = tree(&p, CI);
        assert_eq!(lookup(&t, &p, "/AX").unwrap().pattern, "/ax");
        assert_eq!(lookup(&t, &p, "/zX").unwrap().pattern, "/Zx");
        assert_eq!(lookup(&t, &p, "/P/7/ÜY"), None);
        assert_eq!(lookup(&t, &p, "/P/7/üY").unwrap().pattern, "/p/:id/üy");
    }

    #[test]
    fn range_tables_for_wide_ascii_fan_out() {
        // Tenant-style numbers (nodes of 11 children `/`, `0`-`9`) and one node of 94 children
        // (`!`-`~` but `/` and `:`): range tables; units in the gaps, below and above the span miss.
        let mut patterns: Vec<String> = (0..250).map(|n| format!("/t{n}/users/:id")).collect();
        patterns.extend((b'!'..=b'~').filter(|&c| c != b'/' && c != b':').map(|c| format!("/w/{}z", c as char)));
        patterns.push("/t7/*".to_string());
        let p: Vec<&str> = patterns.iter().map(String::as_str).collect();
        let t = tree(&p, CS);
        assert!(t.dense.len() > 2, "no range table built");
        for n in 0..250 {
            assert_eq!(lookup(&t, &p, &format!("/t{n}/users/x{n}")), hit(p[n], &[&format!("x{n}")], None));
        }
        assert_eq!(lookup(&t, &p, "/t250/users/1"), None);
        assert_eq!(lookup(&t, &p, "/t7/users"), hit("/t7/*", &[], Some("/users")));
        assert_eq!(lookup(&t, &p, "/t7x/users/1"), None);
        assert_eq!(lookup(&t, &p, "/t/users/1"), None);
        for c in (b'!'..=b'~').filter(|&c| c != b'/' && c != b':') {
            let path = format!("/w/{}z", c as char);
            assert_eq!(lookup(&t, &p, &path).unwrap().pattern, path);
        }
        for path in ["/w/ z", "/w/\u{7f}z", "/w/\u{100}z", "/w/\u{0}z"] {
            assert_eq!(lookup(&t, &p, path), None, "{path}");
        }
    }

    #[test]
    fn catch_all_after_param_and_empty_segments() {
        let p = ["/u/:id/*", "/x//*", "/x//"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/u/7"), hit("/u/:id/*", &["7"], Some("")));
        assert_eq!(lookup(&t, &p, "/u/7/"), hit("/u/:id/*", &["7"], Some("/")));
        assert_eq!(lookup(&t, &p, "/u/7/a/b"), hit("/u/:id/*", &["7"], Some("/a/b")));
        assert_eq!(lookup(&t, &p, "/u/"), None);
        assert_eq!(lookup(&t, &p, "/x//"), hit("/x//", &[], None));
        // Segments of `/x//a` are `x`, ``, `a`: the catch-all after `x`, `` takes `a`.
        assert_eq!(lookup(&t, &p, "/x//a"), hit("/x//*", &[], Some("/a")));
        assert_eq!(lookup(&t, &p, "/x///a"), hit("/x//*", &[], Some("//a")));
        assert_eq!(lookup(&t, &p, "/x/"), hit("/x//*", &[], Some("")));
        assert_eq!(lookup(&t, &p, "/x"), None);
    }

    // ---- equal shapes (validation rejects them; the tree keeps the first, reports nothing) ----

    /// Number of route slots in use.
    fn slots(t: &Tree) -> usize {
        t.nodes.iter().map(|n| (n.end != NONE) as usize + (n.catch_all != NONE) as usize).sum()
    }

    #[test]
    fn a_repeated_shape_keeps_the_first() {
        let p = ["/u/:id", "/u/:name", "/u/*/x", "/u/:id/x", "/a/*", "/a/*", "/a/*", "/b"];
        let t = tree(&p, CS);
        assert_eq!(slots(&t), 4);
        assert_eq!(lookup(&t, &p, "/u/7"), hit("/u/:id", &["7"], None));
        assert_eq!(lookup(&t, &p, "/u/7/x"), hit("/u/*/x", &["7"], None));
        assert_eq!(lookup(&t, &p, "/a/q"), hit("/a/*", &[], Some("/q")));
        let shapes = vec![vec![":[0-9]+"], vec![":[0-9]+"], vec![":[a-z]+"]];
        let t = Tree::from_strs(&shapes, CS).unwrap();
        assert_eq!((slots(&t), t.regex_count()), (2, 2));
    }

    #[test]
    fn different_shapes_take_different_slots() {
        let p = ["/a", "/a/", "/a/*", "/a/:x", "/a/:x/", "/A", "/", "/*", "/:x", "/:x/*", "/a/b", "/a//"];
        let t = tree(&p, CS);
        assert_eq!(slots(&t), p.len());
        assert_eq!(t.routes(), p.len());
    }

    #[test]
    fn shapes_depend_on_options() {
        let p = ["/Api", "/api"];
        assert_eq!(slots(&tree(&p, CS)), 2);
        assert_eq!(slots(&tree(&p, CI)), 1);
        let p = ["/docs", "/docs/"];
        assert_eq!(slots(&tree(&p, CS)), 2);
        assert_eq!(slots(&tree(&p, ITS)), 1);
        // `/` keeps its empty segment under ignoreTrailingSlash.
        let p = ["/", "/*"];
        assert_eq!(slots(&tree(&p, ITS)), 2);
    }

    // ---- ignoreTrailingSlash ----

    #[test]
    fn ignore_trailing_slash() {
        let p = ["/docs", "/u/:id", "/api/*", "/", "/x/"];
        let t = tree(&p, ITS);
        assert_eq!(lookup(&t, &p, "/docs"), hit("/docs", &[], None));
        assert_eq!(lookup(&t, &p, "/docs/"), hit("/docs", &[], None));
        assert_eq!(lookup(&t, &p, "/docs//"), None);
        assert_eq!(lookup(&t, &p, "/u/7/"), hit("/u/:id", &["7"], None));
        assert_eq!(lookup(&t, &p, "/u/"), None);
        // Offsets index the original string: the remainder keeps the slash.
        assert_eq!(lookup(&t, &p, "/api/"), hit("/api/*", &[], Some("/")));
        assert_eq!(lookup(&t, &p, "/api/x/"), hit("/api/*", &[], Some("/x/")));
        assert_eq!(lookup(&t, &p, "/api"), hit("/api/*", &[], Some("")));
        assert_eq!(lookup(&t, &p, "/"), hit("/", &[], None));
        assert_eq!(lookup(&t, &p, "/x"), hit("/x/", &[], None));
        assert_eq!(lookup(&t, &p, "/x/"), hit("/x/", &[], None));
        let p = ["/*"];
        let t = tree(&p, ITS);
        assert_eq!(lookup(&t, &p, "/"), hit("/*", &[], Some("/")));
        assert_eq!(lookup(&t, &p, "/a/"), hit("/*", &[], Some("/a/")));
    }

    #[test]
    fn trailing_slash_not_ignored_by_default() {
        let p = ["/u/:id", "/api/*"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/u/7/"), None);
        assert_eq!(lookup(&t, &p, "/api/x/"), hit("/api/*", &[], Some("/x/")));
    }

    // ---- case folding ----

    #[test]
    fn case_insensitive_folds_ascii_only() {
        let p = ["/api/users", "/Mixed/Case", "/caf%C3%A9", "/u/:id", "/Ä"];
        let t = tree(&p, CI);
        assert_eq!(lookup(&t, &p, "/API/Users"), hit("/api/users", &[], None));
        assert_eq!(lookup(&t, &p, "/mixed/case"), hit("/Mixed/Case", &[], None));
        assert_eq!(lookup(&t, &p, "/MIXED/CASE"), hit("/Mixed/Case", &[], None));
        assert_eq!(lookup(&t, &p, "/CAF%c3%a9"), hit("/caf%C3%A9", &[], None));
        // Parameter values keep their case.
        assert_eq!(lookup(&t, &p, "/U/AbC"), hit("/u/:id", &["AbC"], None));
        // Non-ASCII is not folded.
        assert_eq!(lookup(&t, &p, "/Ä"), hit("/Ä", &[], None));
        assert_eq!(lookup(&t, &p, "/ä"), None);
        // Only A-Z fold: '@' (0x40) and '[' (0x5B) are not letters.
        let p = ["/`", "/{"];
        let t = tree(&p, CI);
        assert_eq!(lookup(&t, &p, "/@"), None);
        assert_eq!(lookup(&t, &p, "/["), None);
        assert_eq!(lookup(&t, &p, "/`"), hit("/`", &[], None));
    }

    #[test]
    fn case_sensitive_by_default() {
        let p = ["/api/users"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/API/users"), None);
        assert_eq!(lookup(&t, &p, "/api/users"), hit("/api/users", &[], None));
    }

    // ---- offsets ----

    #[test]
    fn offsets_are_utf16_positions() {
        let p = ["/u/:id/p/:page/*"];
        let t = tree(&p, CS);
        let path = utf16("/u/42/p/7/rest/x");
        let mut caps = vec![-1; t.captures_len()];
        let r = t.lookup(&path, &mut caps, &mut Scratch::default());
        assert_eq!(r, 0);
        assert_eq!(&caps[..5], &[3, 5, 8, 9, 9]);
        // Astral characters count two units each.
        let path = utf16("/u/😀é/p/x/😀");
        let r = t.lookup(&path, &mut caps, &mut Scratch::default());
        assert_eq!(r, 0);
        assert_eq!(&caps[..5], &[3, 6, 9, 10, 10]);
    }

    #[test]
    fn captures_too_short_never_matches() {
        let p = ["/u/:id"];
        let t = tree(&p, CS);
        assert_eq!(t.captures_len(), 4);
        let mut caps = vec![0; 3];
        assert_eq!(t.lookup(&utf16("/u/1"), &mut caps, &mut Scratch::default()), -1);
    }

    #[test]
    fn scratch_is_reusable_across_lookups() {
        let p = ["/:a/:b/x", "/:a/y/z", "/k/*", "/s"];
        let t = tree(&p, CS);
        let mut caps = vec![0; t.captures_len()];
        let mut scratch = Scratch::default();
        for _ in 0..3 {
            assert_eq!(t.lookup(&utf16("/k/q/z"), &mut caps, &mut scratch), 2);
            assert_eq!(t.lookup(&utf16("/s"), &mut caps, &mut scratch), 3);
            assert_eq!(t.lookup(&utf16("/nope/q/w"), &mut caps, &mut scratch), -1);
            assert_eq!(t.lookup(&utf16("/j/y/z"), &mut caps, &mut scratch), 1);
            assert_eq!(&caps[..2], &[1, 2]);
            assert_eq!(t.lookup(&utf16("/j/q/x"), &mut caps, &mut scratch), 0);
            assert_eq!(&caps[..4], &[1, 2, 3, 4]);
        }
    }

    // ---- hostile input ----

    #[test]
    fn paths_not_starting_with_slash_never_match() {
        let p = ["/*", "/", "/:x"];
        let t = tree(&p, CS);
        for path in ["", "a", "a/b", " /", "\\", "*", "?/"] {
            assert_eq!(lookup(&t, &p, path), None, "{path:?}");
        }
        let t = tree(&p, ITS);
        assert_eq!(lookup(&t, &p, ""), None);
    }

    #[test]
    fn non_ascii_and_lone_surrogates() {
        let p = ["/café", "/u/:id", "/f/*"];
        let t = tree(&p, CS);
        assert_eq!(lookup(&t, &p, "/café"), hit("/café", &[], None));
        assert_eq!(lookup(&t, &p, "/cafe"), None);
        assert_eq!(lookup(&t, &p, "/u/日本"), hit("/u/:id", &["日本"], None));
        let lone: Vec<u16> = [utf16("/u/"), vec![0xD800], utf16("x")].concat();
        let h = lookup16(&t, &p, &lone).unwrap();
        assert_eq!(h.pattern, "/u/:id");
        let lone: Vec<u16> = [utf16("/f"), vec![0xDC00, b'/' as u16, 0xDBFF]].concat();
        assert_eq!(lookup16(&t, &p, &lone), None);
        let lone: Vec<u16> = [utf16("/f/"), vec![0xDC00, b'/' as u16, 0xDBFF]].concat();
        let mut caps = vec![0; t.captures_len()];
        assert_eq!(t.lookup(&lone, &mut caps, &mut Scratch::default()), 2);
        assert_eq!(caps[0], 2);
        // Units that fold to ASCII in a naive `as u8` cast must not match ASCII text.
        let p = ["/a"];
        let t = tree(&p, CS);
        assert_eq!(lookup16(&t, &p, &[b'/' as u16, 0x0161]), None); // 0x61 = 'a' in the low byte
        let t = tree(&p, CI);
        assert_eq!(lookup16(&t, &p, &[b'/' as u16, 0x0141]), None); // 0x41 = 'A' in the low byte
        assert_eq!(lookup16(&t, &p, &[b'/' as u16, 0xFF41]), None);
    }

    #[test]
    fn huge_paths() {
        let p = ["/u/:id", "/a/*", "/s/x", "/:a/:b/:c"];
        let t = tree(&p, CS);
        let big = "x".repeat(1 << 20);
        assert_eq!(lookup(&t, &p, &format!("/u/{big}")).unwrap().params[0].len(), 1 << 20);
        assert_eq!(lookup(&t, &p, &format!("/a/{big}")).unwrap().remainder.unwrap().len(), (1 << 20) + 1);
        assert_eq!(lookup(&t, &p, &format!("/s/{big}")), None);
        assert_eq!(lookup(&t, &p, &format!("/{big}")), None);
        let many = "/s".repeat(10_000);
        assert_eq!(lookup(&t, &p, &many), None);
        assert_eq!(lookup(&t, &p, &format!("/a{many}")).unwrap().remainder.unwrap().len(), 20_000);
        let slashes = "/".repeat(1 << 20);
        assert_eq!(lookup(&t, &p, &slashes), None);
        let t = tree(&p, ITS);
        assert_eq!(lookup(&t, &p, &slashes), None);
        assert_eq!(lookup(&t, &p, &format!("/a{slashes}")).unwrap().remainder.unwrap().len(), 1 << 20);
    }

    /// Every combination of `a` / `:p` over `levels` levels, each followed by `/:q/z`.
    fn combos(levels: usize) -> Vec<String> {
        (0..1usize << levels)
            .map(|bits| {
                let mut s = String::new();
                for level in 0..levels {
                    s.push_str(if bits >> level & 1 == 1 { "/:p" } else { "/a" });
                }
                s.push_str("/:q/z");
                s
            })
            .collect()
    }

    #[test]
    fn a_long_segment_is_scanned_once_per_lookup() {
        // 512 branches reach the 10th segment at the same position; each tries its `:q` there.
        let patterns = combos(9);
        let p: Vec<&str> = patterns.iter().map(String::as_str).collect();
        let t = tree(&p, CS);
        let long = 256 * 1024;
        let path = utf16(&format!("{}/{}", "/a".repeat(9), "v".repeat(long)));
        let mut caps = vec![0; t.captures_len()];
        let mut scratch = Scratch::default();
        assert_eq!(t.lookup(&path, &mut caps, &mut scratch), -1);
        assert!(scratch.scanned < long + 10_000, "scanned {} units for a {long}-unit segment", scratch.scanned);
        // Two long segments alternating on every branch: still each scanned once.
        let path = utf16(&format!("{}/{}/{}", "/a".repeat(9), "v".repeat(long), "w".repeat(long)));
        scratch.scanned = 0;
        assert_eq!(t.lookup(&path, &mut caps, &mut scratch), -1);
        assert!(scratch.scanned < long + 10_000, "scanned {}", scratch.scanned);
        // The memo does not leak into the next lookup.
        let hit = utf16(&format!("{}/v/z", "/a".repeat(9)));
        assert_eq!(t.lookup(&hit, &mut caps, &mut scratch), 0);
        assert_eq!(&caps[..2], &[19, 20]);
        let hit = utf16(&format!("{}/{}/z", "/a".repeat(9), "v".repeat(100)));
        assert_eq!(t.lookup(&hit, &mut caps, &mut scratch), 0);
        assert_eq!(&caps[..2], &[19, 119]);
    }

    #[test]
    fn deep_route_is_walked_without_recursion() {
        // A 20,000-segment pattern of alternating params and statics, and a catch-all at the
        // root to backtrack to from the very bottom.
        let segs: Vec<String> = (0..20_000).map(|i| if i % 2 == 0 { ":".into() } else { format!("s{i}") }).collect();
        let deep: Vec<String> = segs.clone();
        let shapes = vec![deep, vec!["*".to_string()]];
        let t = Tree::from_strs(&shapes, CS).unwrap();
        assert_eq!(t.max_params(), 10_000);
        let path: String = (0..20_000).map(|i| if i % 2 == 0 { "/v".to_string() } else { format!("/s{i}") }).collect();
        let mut caps = vec![0; t.captures_len()];
        let mut scratch = Scratch::default();
        assert_eq!(t.lookup(&utf16(&path), &mut caps, &mut scratch), 0);
        assert_eq!(&caps[..2], &[1, 2]);
        let almost = format!("{path}/extra");
        assert_eq!(t.lookup(&utf16(&almost), &mut caps, &mut scratch), 1);
        assert_eq!(caps[0], 0);
    }

    #[test]
    fn backtracking_is_not_exponential() {
        // Every level offers a static and a param, and only a final segment that nothing
        // matches: naive backtracking over segments would try 2^30 combinations; the tree has
        // few nodes and each is entered at most once.
        let mut patterns = Vec::new();
        for depth in 1..=30 {
            let mut s = String::new();
            for _ in 0..depth {
                s.push_str("/a");
            }
            patterns.push(format!("{s}/end"));
            patterns.push(format!("{}/:p/end", "/:q".repeat(depth - 1)));
        }
        let p: Vec<&str> = patterns.iter().map(String::as_str).collect();
        let t = tree(&p, CS);
        let path = format!("{}/nope", "/a".repeat(30));
        let start = std::time::Instant::now();
        assert_eq!(lookup(&t, &p, &path), None);
        assert!(start.elapsed().as_millis() < 500);
        let path = format!("{}/end", "/a".repeat(30));
        assert_eq!(lookup(&t, &p, &path).unwrap().pattern, patterns[58]);
    }

    // ---- shapes the tree refuses ----

    #[test]
    fn invalid_shapes() {
        let empty: Vec<Vec<&str>> = vec![vec!["a"], vec![]];
        assert_eq!(Tree::from_strs(&empty, CS).unwrap_err(), ShapeError::Empty { route: 1 });
        let star = vec![vec!["a", "*", "b"]];
        assert_eq!(Tree::from_strs(&star, CS).unwrap_err(), ShapeError::CatchAllNotLast { route: 0, segment: 1 });
        let slash = vec![vec!["a/b"]];
        assert_eq!(Tree::from_strs(&slash, CS).unwrap_err(), ShapeError::SlashInSegment { route: 0, segment: 0 });
        let none: Vec<Vec<&str>> = vec![];
        let t = Tree::from_strs(&none, CS).unwrap();
        assert_eq!(t.lookup(&utf16("/"), &mut [0, 0], &mut Scratch::default()), -1);
    }

    #[test]
    fn shapes_are_taken_as_given() {
        // Canonicalizing shapes is the TypeScript side's job (as for its own backend): an
        // upper-case static under case-insensitive matching can never match, and a trailing
        // empty segment under ignoreTrailingSlash can never be reached.
        let shapes = vec![vec!["API"], vec!["docs", ""]];
        let t = Tree::from_strs(&shapes, Options { case_sensitive: false, ignore_trailing_slash: true }).unwrap();
        let mut caps = vec![0; t.captures_len()];
        for path in ["/API", "/api", "/docs", "/docs/"] {
            assert_eq!(t.lookup(&utf16(path), &mut caps, &mut Scratch::default()), -1, "{path}");
        }
    }

    // ---- SPEC 10.2: constrained parameters ----

    /// A tree from raw shapes (segments as given: `":[0-9]+"` is a constrained parameter).
    fn raw(shapes: &[&[&str]]) -> Tree {
        let shapes: Vec<Vec<&str>> = shapes.iter().map(|s| s.to_vec()).collect();
        let t = Tree::from_strs(&shapes, CS).unwrap();
        t.check_invariants();
        t
    }

    /// Route and captures (params as text, the remainder start last for a catch-all).
    fn find(t: &Tree, path: &str) -> (i32, Vec<i32>) {
        let mut caps = vec![-7; t.captures_len()];
        let r = t.lookup(&utf16(path), &mut caps, &mut Scratch::default());
        (r, caps)
    }

    #[test]
    fn constrained_order_static_then_regex_by_code_point_then_plain_then_catch_all() {
        let t = raw(&[
            &["f", "*"],
            &["f", ":"],
            &["f", ":[a-z]+"],
            &["f", ":[0-9]+"],
            &["f", "new"],
            &["f", ":\u{1F600}|y"],
            &["f", ":\u{FFFD}|y"],
        ]);
        assert_eq!(t.regex_count(), 4);
        assert_eq!(find(&t, "/f/new").0, 4);
        assert_eq!(find(&t, "/f/42").0, 3);
        assert_eq!(find(&t, "/f/abc").0, 2);
        assert_eq!(find(&t, "/f/y").0, 2);
        assert_eq!(find(&t, "/f/A").0, 1);
        assert_eq!(find(&t, "/f/A/b").0, 0);
        assert_eq!(find(&t, "/f").0, 0);
        // By code point U+FFFD sorts before U+1F600; by UTF-16 unit (0xFFFD > 0xD83D) it would not.
        let t = raw(&[&["f", ":\u{1F600}|y"], &["f", ":\u{FFFD}|y"]]);
        assert_eq!(find(&t, "/f/y").0, 1);
    }

    #[test]
    fn constrained_params_backtrack_into_the_next_regex_and_restore_captures() {
        let t = raw(&[
            &["u", ":[0-9]+", "x"],
            &["u", ":[0-9a-f]+", "y"],
            &["u", ":", "z"],
            &["u", ":[0-9]+", ":[a-z]+"],
            &["*"],
        ]);
        assert_eq!(find(&t, "/u/12/x"), (0, vec![3, 5, -7, -7, -7, -7]));
        // "[0-9]+" sorts first, and its subtree has `:[a-z]+` for `y`.
        assert_eq!(find(&t, "/u/12/y").0, 3);
        assert_eq!(find(&t, "/u/ab/y"), (1, vec![3, 5, -7, -7, -7, -7]));
        assert_eq!(find(&t, "/u/12/z").0, 3);
        assert_eq!(find(&t, "/u/AB/z"), (2, vec![3, 5, -7, -7, -7, -7]));
        assert_eq!(find(&t, "/u/12/q"), (3, vec![3, 5, 6, 7, -7, -7]));
        assert_eq!(find(&t, "/u/12/Q").0, 4);
        assert_eq!(find(&t, "/u/fg/y").0, 4);
    }

    #[test]
    fn a_finished_walk_leaves_nothing_for_the_next_lookup() {
        // `/a/a` wins route 0 with alternatives still stacked (the constrained edge's catch-all);
        // the next lookup, of a path of the same length, must not resume them.
        let tree = Tree::from_strs(&[vec![":.+", ":"], vec![":.+", "*"]], Options::default()).unwrap();
        let mut scratch = Scratch::default();
        let mut caps = vec![0; tree.captures_len()];
        let utf16 = |s: &str| s.encode_utf16().collect::<Vec<u16>>();
        assert_eq!(tree.lookup(&utf16("/a/a"), &mut caps, &mut scratch), 0);
        assert_eq!(tree.lookup(&utf16("/\u{e9}/a"), &mut caps, &mut scratch), -1);
    }

    #[test]
    fn a_regex_matches_the_whole_raw_ascii_segment() {
        let t = raw(&[&["a", ":b"], &["c", ":(?i)caf%c3%a9"], &["d", ":x|"], &["e", ":.*"], &["g", ":$^|a"]]);
        assert_eq!(find(&t, "/a/b").0, 0);
        assert_eq!(find(&t, "/a/bb").0, -1, "anchored at the end");
        assert_eq!(find(&t, "/a/ab").0, -1, "anchored at the start");
        assert_eq!(find(&t, "/c/CAF%C3%A9").0, 1);
        assert_eq!(find(&t, "/d/").0, -1, "an empty segment never matches a parameter");
        assert_eq!(find(&t, "/d/x").0, 2);
        assert_eq!(find(&t, "/e/x y").0, 3);
        assert_eq!(find(&t, "/e/a\nb").0, -1, "`.` does not match a newline");
        assert_eq!(find(&t, "/g/a").0, 4, "the wrapper groups an alternation");
        // A non-ASCII unit: no constrained parameter, whatever the regex would say.
        assert_eq!(find(&t, "/e/é").0, -1);
        let lone = [utf16("/e/a"), vec![0xD800]].concat();
        assert_eq!(t.lookup(&lone, &mut [0; 4], &mut Scratch::default()), -1);
        // Case-insensitive tables fold the path for static text only.
        let shapes = vec![vec!["u", ":[a-z]+"]];
        let t = Tree::from_strs(&shapes, CI).unwrap();
        let mut caps = vec![0; t.captures_len()];
        assert_eq!(t.lookup(&utf16("/U/abc"), &mut caps, &mut Scratch::default()), 0);
        assert_eq!(t.lookup(&utf16("/u/ABC"), &mut caps, &mut Scratch::default()), -1);
    }

    #[test]
    fn regexes_are_shared_and_refused_with_the_route() {
        let t = raw(&[&["a", ":[0-9]+"], &["b", ":[0-9]+"], &[":[0-9]+"]]);
        assert_eq!(t.regex_count(), 1);
        for (source, reason) in [
            ("(?<=a)b", "look-around"),
            ("(a", "unclosed group"),
            ("a)|(b", "unopened group"),
            ("\\1", "backreferences"),
        ] {
            let shapes = vec![vec!["ok".to_string()], vec!["x".to_string(), format!(":{source}")]];
            let e = Tree::from_strs(&shapes, CS).unwrap_err();
            let ShapeError::Regex { route, segment, .. } = &e else { panic!("{e:?}") };
            assert_eq!((*route, *segment), (1, 1));
            assert!(e.to_string().starts_with(&format!("route 1: the regex {source:?}")), "{e}");
            assert!(e.to_string().contains(reason), "{e}");
        }
        let shapes: Vec<Vec<Vec<u16>>> = vec![vec![vec![b':' as u16, 0xD800]]];
        assert_eq!(Tree::new(&shapes, CS).unwrap_err(), ShapeError::RegexNotUnicode { route: 0, segment: 0 });
    }

    #[test]
    fn one_regex_runs_once_on_one_long_segment_per_lookup() {
        // 512 branches reach the 10th segment at one position; each tries two REGEXes there.
        let mut shapes = Vec::new();
        for bits in 0..1usize << 9 {
            let mut s: Vec<String> =
                (0..9).map(|l| if bits >> l & 1 == 1 { ":[a-z]" } else { "a" }.to_string()).collect();
            s.push(":[0-9]+".into());
            s.push("z".into());
            shapes.push(s.clone());
            s[9] = ":v+".into();
            shapes.push(s);
        }
        let t = Tree::from_strs(&shapes, CS).unwrap().with_step_count(true);
        let long = 64 * 1024;
        let mut caps = vec![0; t.captures_len()];
        let mut scratch = Scratch::default();
        let path = utf16(&format!("{}/{}", "/a".repeat(9), "v".repeat(long)));
        assert_eq!(t.lookup(&path, &mut caps, &mut scratch), -1);
        assert!(scratch.scanned < long + 10_000, "scanned {}", scratch.scanned);
        // Two REGEXes on the long segment, once each (plus the short `[a-z]` ones).
        assert!(scratch.regex_runs < 2 + 2 * 1024, "{} regex runs", scratch.regex_runs);
        let steps = scratch.steps;
        assert!(steps < 3 * long as u64 + 100_000, "{steps} steps");
        // Twice the segment, about twice the steps: linear.
        let path = utf16(&format!("{}/{}", "/a".repeat(9), "v".repeat(2 * long)));
        assert_eq!(t.lookup(&path, &mut caps, &mut scratch), -1);
        assert_eq!(scratch.steps, steps + 3 * long as u64, "one scan and two regex runs per unit");
        // The memo does not leak into the next lookup.
        let hit = utf16(&format!("{}/{}/z", "/a".repeat(9), "7".repeat(100)));
        assert_eq!(t.lookup(&hit, &mut caps, &mut scratch), 0);
        let hit = utf16(&format!("{}/{}/z", "/a".repeat(9), "v".repeat(100)));
        assert_eq!(t.lookup(&hit, &mut caps, &mut scratch), 1);
    }

    // ---- SPEC 10.1: guards, suspension, enumeration ----

    fn guarded(patterns: &[&str], methods: &[i32], checked: &[u8]) -> Tree {
        tree(patterns, CS).with_guards(Guards { methods: methods.to_vec(), checked: checked.to_vec() }).unwrap()
    }

    /// lookup + resume, rejecting the checked routes in `rejected`; also the resumes taken.
    fn guarded_find(t: &Tree, path: &str, method: i32, rejected: &[i32]) -> (i32, usize) {
        let path = utf16(path);
        let mut caps = vec![0; t.captures_len()];
        let mut scratch = Scratch::default();
        let mut r = t.lookup_method(&path, method, &mut caps, &mut scratch);
        let mut resumes = 0;
        while rejected.contains(&r) {
            r = t.resume(&path, &mut caps, &mut scratch);
            resumes += 1;
        }
        (r, resumes)
    }

    #[test]
    fn a_route_without_the_method_is_absent() {
        let p = ["/api/users", "/api/*", "/api/:x", "/api", "/:a/users"];
        let t = guarded(&p, &[1, -1, 2, 1, 4], &[0; 5]);
        assert_eq!(guarded_find(&t, "/api/users", 1, &[]), (0, 0));
        assert_eq!(guarded_find(&t, "/api/users", 2, &[]), (2, 0));
        assert_eq!(guarded_find(&t, "/api/users", 4, &[]), (1, 0), "/api/* answers inside the static branch");
        assert_eq!(guarded_find(&t, "/apx/users", 4, &[]), (4, 0));
        assert_eq!(guarded_find(&t, "/apx/users", 1, &[]), (-1, 0));
        assert_eq!(guarded_find(&t, "/api/users", 8, &[]), (1, 0));
        assert_eq!(guarded_find(&t, "/api/users", ALL_METHODS, &[]), (0, 0));
        assert_eq!(guarded_find(&t, "/api", 1, &[]), (3, 0));
        assert_eq!(guarded_find(&t, "/api", 2, &[]), (1, 0), "an absent end lets the catch-all there answer");
        let t = guarded(&p, &[0; 5], &[0; 5]);
        assert_eq!(guarded_find(&t, "/api/users", 1, &[]), (-1, 0));
        // Without guards the method is ignored.
        assert_eq!(guarded_find(&tree(&p, CS), "/api/users", 0, &[]), (0, 0));
    }

    #[test]
    fn a_checked_route_suspends_the_walk_and_resume_goes_on_as_without_it() {
        let p = ["/u/:id", "/u/:id/x", "/u/*", "/*", "/u/7"];
        let t = guarded(&p, &[-1, -1, 2, -1, -1], &[1, 1, 1, 1, 1]);
        assert_eq!(guarded_find(&t, "/u/7", 1, &[]), (4, 0));
        assert_eq!(guarded_find(&t, "/u/7", 1, &[4]), (0, 1));
        assert_eq!(guarded_find(&t, "/u/7", 1, &[4, 0]), (3, 2), "/u/* is absent for bit 1");
        assert_eq!(guarded_find(&t, "/u/7", 2, &[4, 0]), (2, 2));
        assert_eq!(guarded_find(&t, "/u/7", 2, &[4, 0, 2, 3]), (-1, 4));
        assert_eq!(guarded_find(&t, "/u/7/x", 1, &[1]), (3, 1));
        // The captures of the route returned after a resume are its own.
        let path = utf16("/u/7/x");
        let mut caps = vec![0; t.captures_len()];
        let mut scratch = Scratch::default();
        assert_eq!(t.lookup_method(&path, 2, &mut caps, &mut scratch), 1);
        assert_eq!(&caps[..2], &[3, 4]);
        assert!(scratch.is_suspended());
        assert_eq!(t.resume(&path, &mut caps, &mut scratch), 2);
        assert_eq!(caps[0], 2);
        assert_eq!(t.resume(&path, &mut caps, &mut scratch), 3);
        assert_eq!(caps[0], 0);
        assert_eq!(t.resume(&path, &mut caps, &mut scratch), -1);
        assert!(!scratch.is_suspended());
        assert_eq!(t.resume(&path, &mut caps, &mut scratch), -1);
        // A route that is not checked ends the walk; a new lookup discards a suspended one;
        // another path's length is refused.
        let t = guarded(&p, &[-1; 5], &[1, 0, 1, 1, 1]);
        assert_eq!(t.lookup_method(&path, 1, &mut caps, &mut scratch), 1);
        assert_eq!(t.resume(&path, &mut caps, &mut scratch), -1);
        assert_eq!(t.lookup_method(&utf16("/u/7"), 1, &mut caps, &mut scratch), 4);
        assert_eq!(t.resume(&utf16("/u/77"), &mut caps, &mut scratch), -1);
        assert_eq!(t.lookup_method(&utf16("/u/7"), 1, &mut caps, &mut scratch), 4);
        assert_eq!(t.lookup_method(&utf16("/nope"), 1, &mut caps, &mut scratch), 3);
        assert_eq!(t.lookup_method(&utf16("nope"), 1, &mut caps, &mut scratch), -1);
        assert_eq!(t.resume(&utf16("nope"), &mut caps, &mut scratch), -1);
        let guards = Guards { methods: vec![-1], checked: vec![0, 0] };
        assert_eq!(
            tree(&p, CS).with_guards(guards).unwrap_err(),
            ShapeError::GuardsLength { routes: 5, methods: 1, checked: 2 }
        );
    }

    #[test]
    fn lookup_all_enumerates_every_matching_route_in_precedence_order() {
        let p = ["/*", "/u/:id", "/u/*", "/u/7", "/u/:id/", "/v"];
        for t in [tree(&p, CS), guarded(&p, &[0; 6], &[0; 6])] {
            let path = utf16("/u/7");
            let mut caps = vec![0; t.captures_len()];
            let mut scratch = Scratch::default();
            let mut seen = vec![t.lookup_all(&path, &mut caps, &mut scratch)];
            while *seen.last().unwrap() >= 0 {
                seen.push(t.resume(&path, &mut caps, &mut scratch));
            }
            assert_eq!(seen, [3, 1, 2, 0, -1]);
        }
        let t = tree(&p, ITS);
        let path = utf16("/u/7/");
        let mut caps = vec![0; t.captures_len()];
        let mut scratch = Scratch::default();
        let mut seen = vec![t.lookup_all(&path, &mut caps, &mut scratch)];
        while *seen.last().unwrap() >= 0 {
            seen.push(t.resume(&path, &mut caps, &mut scratch));
        }
        assert_eq!(seen, [3, 1, 2, 0, -1], "ignoreTrailingSlash: /u/:id/ is /u/:id, a repeated shape");
    }

    #[test]
    fn a_lookup_between_resumes_leaves_the_suspended_enumeration_alone() {
        // No guards: lookups cannot suspend and use their own stack; the long segment memo
        // they fill (another path, same positions) must not leak into the resumed walk.
        let p = ["/:a/x", "/:a/*", "/*", "/:a/:b/y"];
        let t = tree(&p, CS);
        let path = utf16(&format!("/{}/x", "v".repeat(100)));
        let other = utf16(&format!("/{}/{}/y", "w".repeat(70), "q".repeat(70)));
        let mut caps = vec![0; t.captures_len()];
        let mut scratch = Scratch::default();
        assert_eq!(t.lookup_all(&path, &mut caps, &mut scratch), 0);
        let mut inner = vec![0; t.captures_len()];
        assert_eq!(t.lookup(&other, &mut inner, &mut scratch), 3);
        assert_eq!(&inner[..4], &[1, 71, 72, 142]);
        assert_eq!(t.resume(&path, &mut caps, &mut scratch), 1);
        assert_eq!((caps[0], caps[1], caps[2]), (1, 101, 101));
        assert_eq!(t.lookup(&other, &mut inner, &mut scratch), 3);
        assert_eq!(t.resume(&path, &mut caps, &mut scratch), 2);
        assert_eq!(caps[0], 0);
        assert_eq!(t.resume(&path, &mut caps, &mut scratch), -1);
        // With guards a lookup is a walk of its own: it replaces the suspended one.
        let t = guarded(&p, &[-1; 4], &[1; 4]);
        assert_eq!(t.lookup_all(&path, &mut caps, &mut scratch), 0);
        assert_eq!(t.lookup_method(&other, 1, &mut inner, &mut scratch), 3);
        assert_eq!(t.resume(&other, &mut inner, &mut scratch), 1);
        assert_eq!(t.resume(&path, &mut caps, &mut scratch), -1, "the enumeration is gone");
    }

    #[test]
    fn rejecting_every_candidate_is_one_walk() {
        // n nested catch-alls and n params on one path: 2n candidates, all rejected.
        let n = 300;
        let mut patterns = Vec::new();
        for i in 0..n {
            patterns.push(format!("{}/*", "/a".repeat(i)));
            patterns.push(format!("{}/:p", "/a".repeat(i)));
        }
        let p: Vec<&str> = patterns.iter().map(String::as_str).collect();
        let t = guarded(&p, &vec![-1; 2 * n], &vec![1; 2 * n]).with_step_count(true);
        let path = utf16(&"/a".repeat(n));
        let mut caps = vec![0; t.captures_len()];
        let mut scratch = Scratch::default();
        let mut r = t.lookup_method(&path, 1, &mut caps, &mut scratch);
        let mut candidates = 0;
        while r >= 0 {
            candidates += 1;
            r = t.resume(&path, &mut caps, &mut scratch);
        }
        assert_eq!(candidates, n + 1, "every catch-all and the last param");
        assert!(scratch.steps < 20 * n as u64, "{} steps", scratch.steps);
    }

    #[test]
    fn steps_are_counted_only_when_asked() {
        let p = ["/a/:x", "/b/*"];
        let mut scratch = Scratch::default();
        let mut caps = vec![0; 4];
        let t = tree(&p, CS);
        assert_eq!(t.lookup(&utf16("/a/xyz"), &mut caps, &mut scratch), 0);
        assert_eq!(scratch.steps, 0);
        let t = tree(&p, CS).with_step_count(true);
        assert_eq!(t.lookup(&utf16("/a/xyz"), &mut caps, &mut scratch), 0);
        let short = scratch.steps;
        assert!(short > 0);
        assert_eq!(t.lookup(&utf16(&format!("/a/{}", "x".repeat(1000))), &mut caps, &mut scratch), 0);
        assert_eq!(scratch.steps, short + 997, "one step per unit scanned");
    }

    // ---- agreement with a naive reference written from the SPEC text ----

    /// SPEC section 3 literally: walk the path's segments left to right; at each segment try
    /// every route whose next segment is static and equal, then every parameter, then every
    /// catch-all; backtrack on failure. Exponential in general, fine for tiny tables. Returns
    /// the winner and its captures (params, then the remainder start for a catch-all).
    fn reference(shapes: &[Vec<String>], options: Options, path: &str) -> Option<(usize, Vec<i32>)> {
        let path: Vec<u16> = utf16(path);
        if path.first() != Some(&SLASH) {
            return None;
        }
        let mut len = path.len();
        if options.ignore_trailing_slash && len > 1 && path[len - 1] == SLASH {
            len -= 1;
        }
        // Segments as (start, end) after the leading '/'.
        let mut segs = Vec::new();
        let mut start = 1;
        for (i, &unit) in path.iter().enumerate().take(len + 1).skip(1).chain(std::iter::once((len, &SLASH))) {
            if i == len && segs.last().is_some_and(|&(_, e)| e == len) {
                break;
            }
            if i == len || unit == SLASH {
                segs.push((start, i));
                start = i + 1;
            }
        }
        let fold_seg = |(a, b): (usize, usize)| -> Vec<u16> {
            path[a..b].iter().map(|&u| if options.case_sensitive { u } else { fold(u) }).collect()
        };
        fn go(
            shapes: &[Vec<String>],
            alive: Vec<usize>,
            i: usize,
            segs: &[(usize, usize)],
            len: usize,
            caps: &mut Vec<i32>,
            fold_seg: &dyn Fn((usize, usize)) -> Vec<u16>,
        ) -> Option<(usize, Vec<i32>)> {
            if alive.is_empty() {
                return None;
            }
            if i == segs.len() {
                if let Some(&r) = alive.iter().find(|&&r| shapes[r].len() == i) {
                    return Some((r, caps.clone()));
                }
                if let Some(&r) = alive.iter().find(|&&r| shapes[r].get(i).map(String::as_str) == Some("*")) {
                    let mut c = caps.clone();
                    c.push(len as i32);
                    return Some((r, c));
                }
                return None;
            }
            let seg = fold_seg(segs[i]);
            let statics: Vec<usize> = alive
                .iter()
                .copied()
                .filter(|&r| match shapes[r].get(i).map(String::as_str) {
                    Some(":") | Some("*") | None => false,
                    Some(s) => s.encode_utf16().collect::<Vec<_>>() == seg,
                })
                .collect();
            if let Some(hit) = go(shapes, statics, i + 1, segs, len, caps, fold_seg) {
                return Some(hit);
            }
            if segs[i].1 > segs[i].0 {
                let params: Vec<usize> =
                    alive.iter().copied().filter(|&r| shapes[r].get(i).map(String::as_str) == Some(":")).collect();
                caps.push(segs[i].0 as i32);
                caps.push(segs[i].1 as i32);
                let hit = go(shapes, params, i + 1, segs, len, caps, fold_seg);
                caps.truncate(caps.len() - 2);
                if hit.is_some() {
                    return hit;
                }
            }
            if let Some(&r) = alive.iter().find(|&&r| shapes[r].get(i).map(String::as_str) == Some("*")) {
                let mut c = caps.clone();
                c.push(segs[i].0 as i32 - 1);
                return Some((r, c));
            }
            None
        }
        let all: Vec<usize> = (0..shapes.len()).collect();
        go(shapes, all, 0, &segs, len, &mut Vec::new(), &fold_seg)
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[(self.next() % items.len() as u64) as usize]
        }
    }

    #[test]
    fn agrees_with_reference_on_random_tables() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let shape_segs = ["a", "b", "ab", "", "A", ":", ":", "*"];
        let path_segs = ["a", "b", "ab", "", "A", "B", "x", "é", "aB"];
        let mut compared = 0;
        for round in 0..3000 {
            let options = Options { case_sensitive: round % 3 != 0, ignore_trailing_slash: round % 2 == 0 };
            let n = 1 + rng.next() % 8;
            let mut shapes = Vec::new();
            for _ in 0..n {
                let k = 1 + rng.next() % 4;
                let mut s: Vec<String> = Vec::new();
                for j in 0..k {
                    let mut seg = rng.pick(&shape_segs);
                    if seg == "*" && j + 1 != k {
                        seg = ":";
                    }
                    s.push(seg.to_string());
                }
                shapes.push(canonical(s, options));
            }
            let t = Tree::from_strs(&shapes, options).unwrap();
            t.check_invariants();
            let mut caps = vec![0; t.captures_len()];
            let mut scratch = Scratch::default();
            for _ in 0..40 {
                let k = 1 + rng.next() % 5;
                let mut path = String::new();
                for _ in 0..k {
                    path.push('/');
                    path.push_str(rng.pick(&path_segs));
                }
                let expected = reference(&shapes, options, &path);
                let got = t.lookup(&utf16(&path), &mut caps, &mut scratch);
                match &expected {
                    None => assert_eq!(got, -1, "{shapes:?} {options:?} {path}"),
                    Some((r, c)) => {
                        assert_eq!(got, *r as i32, "{shapes:?} {options:?} {path}");
                        assert_eq!(&caps[..c.len()], &c[..], "{shapes:?} {options:?} {path}");
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 10_000, "{compared}");
    }

    // ---- a realistic table ----

    #[test]
    fn github_api_routes() {
        let json =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/github-api-routes.json"));
        let Ok(json) = json else {
            eprintln!("github-api-routes.json not found; skipped");
            return;
        };
        // Tiny extraction of "pattern"/"path" pairs, to keep the crate free of dependencies.
        let mut pairs = Vec::new();
        let mut rest = json.as_str();
        while let Some(i) = rest.find("\"pattern\": \"") {
            rest = &rest[i + 12..];
            let pattern = &rest[..rest.find('"').unwrap()];
            let j = rest.find("\"path\": \"").unwrap();
            rest = &rest[j + 9..];
            let path = &rest[..rest.find('"').unwrap()];
            pairs.push((pattern.to_string(), path.to_string()));
        }
        assert_eq!(pairs.len(), 130);
        let p: Vec<&str> = pairs.iter().map(|(p, _)| p.as_str()).collect();
        let t = tree(&p, CS);
        for (pattern, path) in &pairs {
            let h = lookup(&t, &p, path).unwrap_or_else(|| panic!("{path} unmatched"));
            assert_eq!(&h.pattern, pattern, "{path}");
            // The data set's parameter values are named after the parameters.
            let names: Vec<String> =
                pattern.split('/').filter(|s| s.starts_with(':')).map(|s| s[1..].to_string()).collect();
            assert_eq!(h.params, names, "{path}");
        }
    }
}
