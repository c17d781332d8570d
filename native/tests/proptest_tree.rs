//! Property tests of the route tree (issue 5: hostile input; issue 12: constrained
//! parameters and conditions), with proptest.
//!
//! Each property runs a bounded number of cases so `cargo test` stays fast:
//!
//! 1. `agrees_with_rank_oracle`: on random tables of overlapping shapes (statics that differ
//!    only in case, non-ASCII text, lone surrogates, plain and constrained parameters,
//!    catch-alls, trailing empty segments) and paths made from them or from raw UTF-16,
//!    `Tree::lookup` returns what an independent oracle returns. The oracle does not walk a
//!    tree: it matches every shape on its own against the path's segments and picks the
//!    winner by *rank* (per segment: static < constrained parameter, by REGEX source in
//!    code-point order < plain parameter < catch-all, with "ends here" appended to a route
//!    that ends, below everything), compared lexicographically, as test/oracle.ts does for
//!    the TypeScript backend. Parameter captures and the remainder's start must agree too.
//!    Of equal shapes (which validation rejects) the first is the one that counts.
//! 2. `conditions_agree_with_the_table_without_the_absent_routes`: with random method masks,
//!    checked routes and a caller that rejects some checked routes, lookup + resume returns
//!    the oracle's winner among the routes that remain, and exactly what a tree built
//!    without the absent routes returns; `lookup_all` + resume enumerates every matching
//!    route in rank order.
//! 3. `never_panics_on_any_shapes_or_paths`: arbitrary shapes (any UTF-16 segments, `*`
//!    anywhere, empty shapes, `:` followed by anything) are built or refused with a
//!    `ShapeError`, never a panic, and lookups of arbitrary UTF-16 paths (and short capture
//!    buffers) never panic and return -1 or a route index.
//! 4. `captures_are_well_formed`: on a hit, every parameter capture is a non-empty slice of
//!    the path without `/`, captures are in order, and the remainder starts at a `/` or at the
//!    end of the path.
//!
//! Plus deterministic checks on extremes: a 20,000-parameter shape, a 1,000,000-segment path,
//! and the step count of a long segment under many constrained branches.

use proptest::prelude::*;
use routing_core_native::tree::{Guards, Options, Scratch, ShapeError, Tree, ALL_METHODS};

const SLASH: u16 = b'/' as u16;
const COLON: &[u16] = &[b':' as u16];
const STAR: &[u16] = &[b'*' as u16];

fn u16s(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn fold(u: u16) -> u16 {
    if (b'A' as u16..=b'Z' as u16).contains(&u) {
        u | 0x20
    } else {
        u
    }
}

// ---------------------------------------------------------------------------------------
// The oracle.

#[derive(Debug, Clone, PartialEq, Eq)]
struct Hit {
    route: usize,
    /// (start, end) of each parameter.
    params: Vec<(usize, usize)>,
    /// Start of the catch-all remainder, for a catch-all route.
    rest: Option<usize>,
}

fn is_param(seg: &[u16]) -> bool {
    seg.first() == Some(&(b':' as u16))
}

/// What the tree receives for `shape` under `options` (the TypeScript side's canonical form):
/// ASCII folded when case-insensitive, a trailing empty segment dropped under
/// ignoreTrailingSlash (except for the root shape `[""]`).
fn canonical(shape: &[Vec<u16>], options: Options) -> Vec<Vec<u16>> {
    let mut s: Vec<Vec<u16>> = shape.to_vec();
    if options.ignore_trailing_slash && s.len() > 1 && s.last().is_some_and(|x| x.is_empty()) {
        s.pop();
    }
    if !options.case_sensitive {
        for seg in &mut s {
            if !is_param(seg) && seg.as_slice() != STAR {
                for u in seg.iter_mut() {
                    *u = fold(*u);
                }
            }
        }
    }
    s
}

/// Rank of one segment kind: (kind, REGEX source) with static 0, constrained 1, plain 2,
/// catch-all 3, and (-1, "") appended for a route that ends.
fn rank(shape: &[Vec<u16>]) -> Vec<(i32, String)> {
    let mut r: Vec<(i32, String)> = shape
        .iter()
        .map(|s| {
            if s.as_slice() == STAR {
                (3, String::new())
            } else if s.as_slice() == COLON {
                (2, String::new())
            } else if is_param(s) {
                // Code-point order: Rust strings compare by UTF-8 bytes.
                (1, String::from_utf16(&s[1..]).unwrap())
            } else {
                (0, String::new())
            }
        })
        .collect();
    if shape.last().map(|s| s.as_slice()) != Some(STAR) {
        r.push((-1, String::new()));
    }
    r
}

/// Whether REGEX (written without anchors) matches all of `text`: never when `text` holds a
/// non-ASCII unit (src/match/core.ts). Uses the crate's `str` API, not the tree's `bytes` one.
fn regex_matches(source: &[u16], text: &[u16]) -> bool {
    if text.iter().any(|&u| u >= 0x80) {
        return false;
    }
    let source = String::from_utf16(source).unwrap();
    let text = String::from_utf16(text).unwrap();
    thread_local! {
        static COMPILED: std::cell::RefCell<std::collections::HashMap<String, regex::Regex>> = Default::default();
    }
    COMPILED.with(|c| {
        let mut c = c.borrow_mut();
        let re = c.entry(source.clone()).or_insert_with(|| regex::Regex::new(&format!("^(?:{source})$")).unwrap());
        re.is_match(&text)
    })
}

/// The path's segments after its leading `/`: (start, end) of each.
fn segments(path: &[u16]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 1;
    for i in 1..=path.len() {
        if i == path.len() || path[i] == SLASH {
            out.push((start, i));
            start = i + 1;
        }
    }
    out
}

/// Matches one canonical shape against the subject on its own.
/// A shape's match on its own: parameter (start, end) pairs and the remainder's start.
type ShapeMatch = (Vec<(usize, usize)>, Option<usize>);

fn match_shape(shape: &[Vec<u16>], subject: &[u16], fold_case: bool) -> Option<ShapeMatch> {
    let segs = segments(subject);
    let catch_all = shape.last().map(|s| s.as_slice()) == Some(STAR);
    let fixed = if catch_all { shape.len() - 1 } else { shape.len() };
    if catch_all {
        if segs.len() < fixed {
            return None;
        }
    } else if segs.len() != fixed {
        return None;
    }
    let mut params = Vec::new();
    for (i, seg) in shape[..fixed].iter().enumerate() {
        let (a, b) = segs[i];
        let text = &subject[a..b];
        if is_param(seg) {
            if a == b || (seg.len() > 1 && !regex_matches(&seg[1..], text)) {
                return None;
            }
            params.push((a, b));
        } else {
            let equal = text.len() == seg.len()
                && text.iter().zip(seg.iter()).all(|(&p, &s)| if fold_case { fold(p) == fold(s) } else { p == s });
            if !equal {
                return None;
            }
        }
    }
    // The remainder starts after the fixed segments: at the `/` that follows them, or at the
    // end of the subject (`/api/*` on `/api`), or at 0 for `/*`.
    let rest = if catch_all { Some(if fixed == 0 { 0 } else { segs[fixed - 1].1 }) } else { None };
    Some((params, rest))
}

/// Every route that matches `path`, best rank first; of equal shapes only the first counts.
/// `present(route)` false: the route is absent (as if not in the table).
fn oracle_all(shapes: &[Vec<Vec<u16>>], options: Options, path: &[u16], present: &dyn Fn(usize) -> bool) -> Vec<Hit> {
    let canon: Vec<Vec<Vec<u16>>> = shapes.iter().map(|s| canonical(s, options)).collect();
    let mut live = Vec::new();
    for (i, s) in canon.iter().enumerate() {
        if !(0..i).any(|j| live.contains(&j) && canon[j] == *s) {
            live.push(i);
        }
    }
    if path.first() != Some(&SLASH) {
        return Vec::new();
    }
    let subject = if options.ignore_trailing_slash && path.len() > 1 && path[path.len() - 1] == SLASH {
        &path[..path.len() - 1]
    } else {
        path
    };
    let mut hits: Vec<(Vec<(i32, String)>, Hit)> = Vec::new();
    for &i in &live {
        if !present(i) {
            continue;
        }
        if let Some((params, rest)) = match_shape(&canon[i], subject, !options.case_sensitive) {
            hits.push((rank(&canon[i]), Hit { route: i, params, rest }));
        }
    }
    hits.sort_by(|a, b| a.0.cmp(&b.0));
    hits.into_iter().map(|(_, h)| h).collect()
}

/// The winner, by rank.
fn oracle(shapes: &[Vec<Vec<u16>>], options: Options, path: &[u16]) -> Option<Hit> {
    oracle_all(shapes, options, path, &|_| true).into_iter().next()
}

fn lookup(tree: &Tree, path: &[u16]) -> (i32, Vec<i32>) {
    let mut caps = vec![-9; tree.captures_len()];
    let mut scratch = Scratch::default();
    let r = tree.lookup(path, &mut caps, &mut scratch);
    (r, caps)
}

/// The tree's answer as a `Hit`, read with the shapes' parameter counts.
fn tree_hit(tree: &Tree, canon: &[Vec<Vec<u16>>], path: &[u16]) -> Option<Hit> {
    let (r, caps) = lookup(tree, path);
    read_hit(canon, r, &caps)
}

fn read_hit(canon: &[Vec<Vec<u16>>], r: i32, caps: &[i32]) -> Option<Hit> {
    if r < 0 {
        assert_eq!(r, -1);
        return None;
    }
    let shape = &canon[r as usize];
    let n = shape.iter().filter(|s| is_param(s)).count();
    let params = (0..n).map(|i| (caps[2 * i] as usize, caps[2 * i + 1] as usize)).collect();
    let rest = if shape.last().map(|s| s.as_slice()) == Some(STAR) { Some(caps[2 * n] as usize) } else { None };
    Some(Hit { route: r as usize, params, rest })
}

// ---------------------------------------------------------------------------------------
// Generators.

/// Static segment texts: case variants, non-ASCII, a lone surrogate, escapes, colons.
const STATICS: &[&str] =
    &["a", "A", "b", "ab", "aB", "api", "API", "v1", "%C3%A9", "é", "日本", "abc:run", "x.json", "%2A", "~"];

fn static_seg() -> impl Strategy<Value = Vec<u16>> {
    prop_oneof![
        8 => prop::sample::select(STATICS).prop_map(u16s),
        1 => Just(vec![0xD800u16]),
        1 => Just(vec![b'a' as u16, 0xDC00u16]),
    ]
}

/// REGEX sources of constrained parameters: overlapping with each other, with the statics
/// and the values, case-insensitive, non-ASCII (never matching an ASCII segment).
const REGEXES: &[&str] = &["[0-9]+", "[a-z]+", "a|ab", "(?i)a.*", "v[0-9]", "x", ".*", "[^/]{2,}", "é+", "\\w+", "A"];

fn constrained_seg() -> impl Strategy<Value = Vec<u16>> {
    prop::sample::select(REGEXES).prop_map(|r| u16s(&format!(":{r}")))
}

/// A shape in the contract of src/match/core.ts: statics, `:` and `:REGEX` params, `*` last,
/// and an optional trailing empty segment; `[""]` is the root.
fn shape() -> impl Strategy<Value = Vec<Vec<u16>>> {
    let seg = prop_oneof![5 => static_seg(), 2 => Just(COLON.to_vec()), 2 => constrained_seg()];
    (prop::collection::vec(seg, 0..5), 0..4u8).prop_map(|(mut segs, end)| {
        match end {
            0 => segs.push(STAR.to_vec()),
            1 if !segs.is_empty() => segs.push(Vec::new()),
            _ => {}
        }
        if segs.is_empty() {
            segs.push(Vec::new());
        }
        segs
    })
}

fn options() -> impl Strategy<Value = Options> {
    (any::<bool>(), any::<bool>())
        .prop_map(|(case_sensitive, ignore_trailing_slash)| Options { case_sensitive, ignore_trailing_slash })
}

/// Path segments: the statics (and case variants), values, empty, lone surrogates.
fn path_seg() -> impl Strategy<Value = Vec<u16>> {
    prop_oneof![
        6 => static_seg(),
        2 => prop::sample::select(&["x", "42", "Users", "%20", "", "v1", "API", "ab", "aaa", "v7", "éé"][..]).prop_map(u16s),
        1 => prop::collection::vec(any::<u16>(), 0..4),
    ]
}

fn path() -> impl Strategy<Value = Vec<u16>> {
    prop_oneof![
        6 => (prop::collection::vec(path_seg(), 0..6), any::<bool>()).prop_map(|(segs, trailing)| {
            let mut p = Vec::new();
            for s in segs {
                p.push(SLASH);
                p.extend(s);
            }
            if trailing || p.is_empty() {
                p.push(SLASH);
            }
            p
        }),
        1 => prop::collection::vec(any::<u16>(), 0..12),
        1 => prop::collection::vec(prop::sample::select(vec![SLASH, b'a' as u16, b'A' as u16, 0xD800]), 0..12),
    ]
}

/// A path built from one of the shapes (so the interesting branches are taken).
fn path_from(shape: &[Vec<u16>], values: &[Vec<u16>], trailing: bool) -> Vec<u16> {
    let mut p = Vec::new();
    for (i, seg) in shape.iter().enumerate() {
        p.push(SLASH);
        if is_param(seg) || seg.as_slice() == STAR {
            p.extend(values.get(i).cloned().unwrap_or_else(|| u16s("v")));
        } else {
            p.extend(seg.iter().copied());
        }
    }
    if trailing || p.is_empty() {
        p.push(SLASH);
    }
    p
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config(1_500))]

    #[test]
    fn agrees_with_rank_oracle(
        shapes in prop::collection::vec(shape(), 1..10),
        opts in options(),
        paths in prop::collection::vec(path(), 0..8),
        picks in prop::collection::vec((any::<prop::sample::Index>(), prop::collection::vec(path_seg(), 0..6), any::<bool>()), 0..8),
    ) {
        let canon: Vec<Vec<Vec<u16>>> = shapes.iter().map(|s| canonical(s, opts)).collect();
        let tree = Tree::new(&canon, opts).expect("contract shapes build");
        let mut all = paths.clone();
        for (index, values, trailing) in &picks {
            all.push(path_from(&shapes[index.index(shapes.len())], values, *trailing));
        }
        for p in &all {
            let want = oracle(&shapes, opts, p);
            let got = tree_hit(&tree, &canon, p);
            prop_assert_eq!(got, want, "path {:?} ({})", p, String::from_utf16_lossy(p));
        }
    }

    #[test]
    fn captures_are_well_formed(
        shapes in prop::collection::vec(shape(), 1..10),
        opts in options(),
        picks in prop::collection::vec((any::<prop::sample::Index>(), prop::collection::vec(path_seg(), 0..6), any::<bool>()), 1..8),
    ) {
        let canon: Vec<Vec<Vec<u16>>> = shapes.iter().map(|s| canonical(s, opts)).collect();
        let tree = Tree::new(&canon, opts).unwrap();
        for (index, values, trailing) in &picks {
            let p = path_from(&shapes[index.index(shapes.len())], values, *trailing);
            if let Some(hit) = tree_hit(&tree, &canon, &p) {
                let mut last = 0;
                for &(a, b) in &hit.params {
                    prop_assert!(last <= a && a < b && b <= p.len(), "capture {}..{} of {:?}", a, b, p);
                    prop_assert!(!p[a..b].contains(&SLASH));
                    prop_assert_eq!(p[a - 1], SLASH, "a parameter starts a segment");
                    last = b;
                }
                if let Some(rest) = hit.rest {
                    prop_assert!(rest >= last && rest <= p.len());
                    let subject_end = if opts.ignore_trailing_slash && p.len() > 1 && p[p.len() - 1] == SLASH { p.len() - 1 } else { p.len() };
                    prop_assert!(rest >= subject_end || p[rest] == SLASH, "remainder at {} of {:?}", rest, p);
                }
            }
        }
    }
}

/// Method bits a route accepts (-1: all; 0: none).
const MASKS: &[i32] = &[-1, -1, 1, 2, 3, 1 << 30, 0];
/// Request method bits.
const METHODS: &[i32] = &[1, 2, 4, 1 << 30, ALL_METHODS];

/// lookup + resume with a caller whose check rejects the routes in `rejected`: the winner.
fn guarded_lookup(tree: &Tree, checked: &[u8], rejected: &[bool], path: &[u16], method: i32) -> (i32, Vec<i32>, u32) {
    let mut caps = vec![-9; tree.captures_len()];
    let mut scratch = Scratch::default();
    let mut r = tree.lookup_method(path, method, &mut caps, &mut scratch);
    let mut resumes = 0;
    while r >= 0 && checked[r as usize] == 1 && rejected[r as usize] {
        r = tree.resume(path, &mut caps, &mut scratch);
        resumes += 1;
    }
    (r, caps, resumes)
}

proptest! {
    #![proptest_config(config(1_500))]

    #[test]
    fn conditions_agree_with_the_table_without_the_absent_routes(
        table in prop::collection::vec((shape(), prop::sample::select(MASKS), any::<bool>(), any::<bool>()), 1..10),
        opts in options(),
        method in prop::sample::select(METHODS),
        picks in prop::collection::vec((any::<prop::sample::Index>(), prop::collection::vec(path_seg(), 0..6), any::<bool>()), 1..8),
    ) {
        let shapes: Vec<Vec<Vec<u16>>> = table.iter().map(|t| t.0.clone()).collect();
        let canon: Vec<Vec<Vec<u16>>> = shapes.iter().map(|s| canonical(s, opts)).collect();
        let guards = Guards {
            methods: table.iter().map(|t| t.1).collect(),
            checked: table.iter().map(|t| t.2 as u8).collect(),
        };
        let rejected: Vec<bool> = table.iter().map(|t| t.2 && t.3).collect();
        let tree = Tree::new(&canon, opts).unwrap().with_guards(guards.clone()).unwrap();
        // The same table without the routes that are absent for this method and caller.
        let present = |r: usize| guards.methods[r] & method != 0 && !rejected[r];
        let kept: Vec<usize> = (0..shapes.len()).filter(|&r| present(r)).collect();
        let kept_canon: Vec<Vec<Vec<u16>>> = kept.iter().map(|&r| canon[r].clone()).collect();
        let without = Tree::new(&kept_canon, opts).unwrap();
        for (index, values, trailing) in &picks {
            let p = path_from(&shapes[index.index(shapes.len())], values, *trailing);
            let want = oracle_all(&shapes, opts, &p, &present).into_iter().next();
            let (r, caps, _) = guarded_lookup(&tree, &guards.checked, &rejected, &p, method);
            let got = read_hit(&canon, r, &caps);
            prop_assert_eq!(&got, &want, "path {}", String::from_utf16_lossy(&p));
            // Equal to the tree built without them (indices mapped back). A repeated shape
            // whose first copy is absent is the exception: the oracle (and the tree) never
            // let a later copy stand in, while the smaller table would.
            let repeated = (0..shapes.len()).any(|i| (0..i).any(|j| canon[j] == canon[i]));
            if !repeated {
                let other = tree_hit(&without, &kept_canon, &p).map(|h| Hit { route: kept[h.route], ..h });
                prop_assert_eq!(&got, &other, "path {}", String::from_utf16_lossy(&p));
            }
            // Enumeration: every matching route, in rank order, methods and checks ignored.
            let all = oracle_all(&shapes, opts, &p, &|_| true);
            let mut seen = Vec::new();
            let mut caps = vec![-9; tree.captures_len()];
            let mut scratch = Scratch::default();
            let mut r = tree.lookup_all(&p, &mut caps, &mut scratch);
            while r >= 0 {
                seen.push(read_hit(&canon, r, &caps).unwrap());
                prop_assert!(seen.len() <= shapes.len(), "enumeration does not end");
                r = tree.resume(&p, &mut caps, &mut scratch);
            }
            prop_assert_eq!(&seen, &all, "enumerating {}", String::from_utf16_lossy(&p));
            prop_assert_eq!(tree.resume(&p, &mut caps, &mut scratch), -1, "nothing left to resume");
        }
    }
}

/// Any UTF-16 segment, including `:`, `*`, `/` inside, empty, surrogates.
fn any_seg() -> impl Strategy<Value = Vec<u16>> {
    prop_oneof![
        3 => static_seg(),
        1 => Just(COLON.to_vec()),
        1 => Just(STAR.to_vec()),
        1 => Just(Vec::new()),
        2 => prop::collection::vec(any::<u16>(), 0..4),
        1 => prop::collection::vec(prop::sample::select(vec![SLASH, b':' as u16, b'*' as u16, b'a' as u16]), 1..4),
        1 => prop::collection::vec(prop::sample::select(vec![b':' as u16, b'(' as u16, b'[' as u16, b'a' as u16, b'+' as u16, 0xD800]), 1..5)
            .prop_map(|mut s| { s.insert(0, b':' as u16); s }),
    ]
}

proptest! {
    #![proptest_config(config(1_500))]

    #[test]
    fn never_panics_on_any_shapes_or_paths(
        shapes in prop::collection::vec(prop::collection::vec(any_seg(), 0..6), 0..10),
        opts in options(),
        paths in prop::collection::vec(prop_oneof![path(), prop::collection::vec(any::<u16>(), 0..40)], 0..10),
        short in 0usize..3,
    ) {
        match Tree::new(&shapes, opts) {
            Err(e) => {
                // Refused for a reason the error names.
                let ok = match e {
                    ShapeError::Empty { route } => shapes[route].is_empty(),
                    ShapeError::CatchAllNotLast { route, segment } => shapes[route][segment] == STAR && segment + 1 < shapes[route].len(),
                    ShapeError::SlashInSegment { route, segment } => shapes[route][segment].contains(&SLASH),
                    ShapeError::RegexNotUnicode { route, segment } => {
                        is_param(&shapes[route][segment]) && String::from_utf16(&shapes[route][segment][1..]).is_err()
                    }
                    ShapeError::Regex { route, segment, .. } => is_param(&shapes[route][segment]),
                    ShapeError::GuardsLength { .. } | ShapeError::TooManyRoutes => false,
                };
                prop_assert!(ok, "{:?}", e);
                prop_assert!(!e.to_string().is_empty());
            }
            Ok(tree) => {
                let mut scratch = Scratch::default();
                for p in &paths {
                    let mut caps = vec![0; tree.captures_len()];
                    let r = tree.lookup(p, &mut caps, &mut scratch);
                    prop_assert!(r == -1 || (r >= 0 && (r as usize) < shapes.len()));
                    // A capture buffer that is too short: a miss, not a panic.
                    if tree.captures_len() > short {
                        let mut small = vec![0; short];
                        prop_assert_eq!(tree.lookup(p, &mut small, &mut scratch), -1);
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Extremes (deterministic).

#[test]
fn deep_shapes_and_long_paths_do_not_overflow_the_stack() {
    // 20,000 parameters in one shape (the TypeScript limits allow 256 by default; raised
    // limits must not crash the addon), and paths of 20,000 and 1,000,000 segments.
    let n = 20_000;
    let mut deep: Vec<Vec<u16>> = vec![COLON.to_vec(); n];
    deep.push(u16s("end"));
    let catch_all = vec![STAR.to_vec()];
    let tree = Tree::new(&[deep, catch_all], Options::default()).unwrap();
    let mut path: Vec<u16> = Vec::new();
    for _ in 0..n {
        path.extend(u16s("/v"));
    }
    let mut hit = path.clone();
    hit.extend(u16s("/end"));
    assert_eq!(lookup(&tree, &hit).0, 0);
    // one segment short of `end`: backtracks all the way to `/*`
    let mut miss = path.clone();
    miss.extend(u16s("/nope"));
    let (r, caps) = lookup(&tree, &miss);
    assert_eq!(r, 1);
    assert_eq!(caps[0], 0);
    let mut huge: Vec<u16> = Vec::with_capacity(2_000_000);
    for _ in 0..1_000_000 {
        huge.extend(u16s("/v"));
    }
    assert_eq!(lookup(&tree, &huge).0, 1);
}

#[test]
fn a_one_megabyte_segment_under_many_branches_is_answered() {
    // Every combination of `a` / `:` over 10 levels, then `:` and `z`: a path of ten `a`s and
    // a 1 MB segment reaches the 1,024 branches' last parameter at one position.
    let mut shapes = Vec::new();
    for m in 0..(1u32 << 10) {
        let mut s: Vec<Vec<u16>> =
            (0..10).map(|i| if m & (1 << i) != 0 { COLON.to_vec() } else { u16s("a") }).collect();
        s.push(COLON.to_vec());
        s.push(u16s("z"));
        shapes.push(s);
    }
    let tree = Tree::new(&shapes, Options::default()).unwrap();
    let mut path = Vec::new();
    for _ in 0..10 {
        path.extend(u16s("/a"));
    }
    path.push(SLASH);
    path.extend(std::iter::repeat_n(b'v' as u16, 1 << 20));
    assert_eq!(lookup(&tree, &path).0, -1);
    path.extend(u16s("/z"));
    assert_eq!(lookup(&tree, &path).0, 0, "all-static prefix wins");
}
