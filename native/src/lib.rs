//! Node-API binding of the route tree (`tree.rs`). The binding only moves data across the
//! boundary; every matching rule lives in `tree.rs`.
//!
//! JavaScript API (see `bindings/index.d.cts`):
//!
//! ```ts
//! const m = createMatcher(shapes, { caseSensitive, ignoreTrailingSlash, countSteps? }, guards?);
//! m.lookup(path, method?) // winning route index or -1; on a hit, capture offsets are in m.offsets
//! m.resume()              // the suspended walk's next candidate (a checked route was rejected)
//! m.lookupAll(path)       // first route matching the path, ignoring conditions; resume() for the rest
//! m.lastSteps()           // work done by the last lookup and its resumes (countSteps only)
//! m.offsets               // Int32Array(2 * maxParams + 2), created once, written on every hit
//! ```
//!
//! `guards` is `{ methods: Int32Array, checked: Uint8Array }`, one entry per route (see
//! `BackendGuards` in src/match/core.ts), copied when the matcher is created. A route whose
//! mask lacks the lookup's method bit is skipped as if absent; at a checked route the walk
//! suspends and `lookup` returns it, and `resume()` continues the same walk when JavaScript
//! rejects it. A new `lookup` or `lookupAll` discards a suspended walk (so a condition check
//! must not look up the same matcher before it answers).
//!
//! Why `lookup` is a bare Node-API callback and not a `#[napi]` method: measured on this
//! machine (Node 20, napi 3.16), a `#[napi]` class method costs 300-450 ns per call (the
//! generated glue registers a native borrow per call), a `#[napi]` free function taking one
//! argument ~130 ns, and a raw callback ~17 ns. So `lookup` is a function created with
//! `napi_create_function` whose data pointer is the matcher; it makes five Node-API calls on a
//! hit (arguments, string read, buffer reference, detached check, int32 result), one more
//! (the method) when the table has guards and a method is passed, and allocates nothing.
//! `resume`, `lookupAll` and `lastSteps` are raw callbacks too; the four functions share the
//! matcher (one `Rc` count each, so any of them keeps it alive). `createMatcher` runs once per
//! table and uses the ordinary `#[napi]` conversions.
//!
//! Memory safety around the offsets buffer: the binding allocates the `ArrayBuffer` itself
//! (so it is never resizable or shared) and keeps a strong reference to it, so its memory
//! lives as long as the matcher. The one thing JavaScript could still do is detach it
//! (`structuredClone(buf, { transfer })`, `ArrayBuffer.prototype.transfer`); before writing, a
//! hit checks that it is not detached (~5 ns) and reports -1 if it is.

#![deny(clippy::all)]

pub mod probe;
pub mod re2;
pub mod tree;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::rc::Rc;

use tree::{Guards, Options, Scratch, Tree};

/// A JavaScript value handed through as is (the function and typed array built here).
pub struct JsRaw(sys::napi_value);

impl TypeName for JsRaw {
    fn type_name() -> &'static str {
        "unknown"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ToNapiValue for JsRaw {
    unsafe fn to_napi_value(_env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        Ok(val.0)
    }
}

/// Options that change what a shape means (`BackendOptions` in src/match/core.ts).
#[napi(object)]
pub struct MatcherOptions {
    pub case_sensitive: bool,
    pub ignore_trailing_slash: bool,
    /// Count the work of every lookup for `lastSteps()` (tests of linear time; a separate
    /// copy of the walk, so matchers without it pay nothing).
    pub count_steps: Option<bool>,
}

/// Per-route conditions (`BackendGuards` in src/match/core.ts without `accept`).
#[napi(object, object_to_js = false)]
pub struct MatcherGuards {
    /// `methods[r]`: method bits route r can accept (-1: all).
    pub methods: Int32Array,
    /// `checked[r] === 1`: the walk suspends at route r for JavaScript to check it.
    pub checked: Uint8Array,
}

/// A compiled route table.
#[napi(object, object_from_js = false)]
pub struct NativeMatcher {
    /// Winning route index, or -1. On a hit, `offsets[2i]`, `offsets[2i + 1]` are the start and
    /// end of the i-th parameter value and `offsets[2n]` the start of the catch-all remainder
    /// (n = the route's parameters), in UTF-16 code units of `path`. `method` is a one-bit mask
    /// (omitted: every method; ignored without guards). At a checked route the walk suspends
    /// and returns it (see `resume`). Never throws: any `path` that is not a string, or a
    /// string not starting with `/`, or a `method` that is not a number, gives -1.
    #[napi(ts_type = "(path: string, method?: number) => number")]
    pub lookup: JsRaw,
    /// Continues the walk suspended by the last `lookup` or `lookupAll` as if the route it
    /// returned were absent: the next route (offsets written), or -1 when there is none or
    /// nothing is suspended.
    #[napi(ts_type = "() => number")]
    pub resume: JsRaw,
    /// The first route whose pattern matches `path`, ignoring methods and checks (offsets
    /// written), or -1; the walk suspends at every route, so `resume()` gives the next one in
    /// precedence order.
    #[napi(ts_type = "(path: string) => number")]
    pub lookup_all: JsRaw,
    /// Steps of work (nodes entered, code units scanned, compared or matched) done by the
    /// last `lookup`/`lookupAll` and the resumes after it. Always 0 without `countSteps`.
    #[napi(ts_type = "() => number")]
    pub last_steps: JsRaw,
    /// The buffer `lookup` writes into, `2 * maxParams + 2` long. Do not detach it.
    #[napi(ts_type = "Int32Array")]
    pub offsets: JsRaw,
    /// The largest number of parameters in one route.
    pub max_params: u32,
    /// Number of tree nodes (a diagnostic).
    pub node_count: u32,
}

/// UTF-16 code units of path read on the first try; longer paths take two more calls.
const INITIAL_PATH_UNITS: usize = 1024;
/// A path buffer grown past this for huge paths is kept while huge paths keep coming, and
/// given back after `SHRINK_AFTER` lookups in a row that used less than a quarter of it.
const MAX_KEPT_PATH_UNITS: usize = 1 << 16;
const SHRINK_AFTER: u32 = 16;

/// Everything the callbacks need, shared by the four functions (each holds one `Rc` count,
/// released by its finalizer; the last one frees the matcher).
struct Matcher {
    tree: Tree,
    scratch: Scratch,
    /// The path of lookups that cannot suspend (tables without guards).
    path: PathBuf,
    /// The path of the suspendable walk (guarded lookups, `lookupAll`), kept for `resume`.
    walk_path: PathBuf,
    /// Captures of the current walk; copied to `out` on a hit.
    caps: Vec<i32>,
    /// The offsets `ArrayBuffer`'s data, `caps.len()` int32s.
    out: *mut i32,
    /// Strong reference to the offsets `ArrayBuffer`.
    buffer_ref: sys::napi_ref,
}

type Shared = UnsafeCell<Matcher>;

/// Compiles route shapes (`":"` a parameter, `":" + REGEX` a constrained one, `"*"` a trailing
/// catch-all, anything else static text) into a matcher. Throws an `Error` (code `InvalidArg`)
/// for a shape the TypeScript validator never produces (no segment, `"*"` not last, `/`
/// inside a segment), a REGEX the Rust `regex` crate refuses (the message names the route and
/// gives the crate's reason), or guards without one entry per route.
#[napi(ts_args_type = "shapes: string[][], options: MatcherOptions, guards?: MatcherGuards | undefined | null")]
pub fn create_matcher(
    env: Env,
    shapes: Vec<Vec<Utf16String>>,
    options: MatcherOptions,
    guards: Option<MatcherGuards>,
) -> Result<NativeMatcher> {
    let invalid = |e: tree::ShapeError| Error::new(Status::InvalidArg, e.to_string());
    let mut tree = Tree::new(
        &shapes,
        Options { case_sensitive: options.case_sensitive, ignore_trailing_slash: options.ignore_trailing_slash },
    )
    .map_err(invalid)?;
    drop(shapes);
    if let Some(g) = guards {
        tree =
            tree.with_guards(Guards { methods: g.methods.to_vec(), checked: g.checked.to_vec() }).map_err(invalid)?;
    }
    let tree = tree.with_step_count(options.count_steps == Some(true));
    let max_params = tree.max_params() as u32;
    let node_count = tree.node_count() as u32;
    let caps_len = tree.captures_len();
    let env = env.raw();
    unsafe {
        let mut data: *mut c_void = ptr::null_mut();
        let mut buffer = ptr::null_mut();
        check_status!(
            sys::napi_create_arraybuffer(env, caps_len * 4, &mut data, &mut buffer),
            "Failed to create the offsets ArrayBuffer"
        )?;
        let mut offsets = ptr::null_mut();
        check_status!(
            sys::napi_create_typedarray(env, sys::TypedarrayType::int32_array, caps_len, buffer, 0, &mut offsets),
            "Failed to create the offsets Int32Array"
        )?;
        let mut buffer_ref = ptr::null_mut();
        check_status!(
            sys::napi_create_reference(env, buffer, 1, &mut buffer_ref),
            "Failed to reference the offsets ArrayBuffer"
        )?;
        let shared: Rc<Shared> = Rc::new(UnsafeCell::new(Matcher {
            tree,
            scratch: Scratch::default(),
            path: PathBuf::default(),
            walk_path: PathBuf::default(),
            caps: vec![0; caps_len],
            out: data.cast(),
            buffer_ref,
        }));
        let lookup = function(env, c"lookup", Some(lookup_callback), &shared)?;
        let resume = function(env, c"resume", Some(resume_callback), &shared)?;
        let lookup_all = function(env, c"lookupAll", Some(lookup_all_callback), &shared)?;
        let last_steps = function(env, c"lastSteps", Some(last_steps_callback), &shared)?;
        // The functions hold their own counts; this one goes (the buffer reference is deleted
        // with the last of them, or here if none was created).
        release(env, shared);
        Ok(NativeMatcher {
            lookup: JsRaw(lookup),
            resume: JsRaw(resume),
            lookup_all: JsRaw(lookup_all),
            last_steps: JsRaw(last_steps),
            offsets: JsRaw(offsets),
            max_params,
            node_count,
        })
    }
}

/// A function whose data pointer is the matcher (one more `Rc` count, released by its
/// finalizer). The pointer is the `UnsafeCell` itself, so a call dereferences it once.
unsafe fn function(
    env: sys::napi_env,
    name: &std::ffi::CStr,
    callback: sys::napi_callback,
    shared: &Rc<Shared>,
) -> Result<sys::napi_value> {
    let data = Rc::into_raw(Rc::clone(shared)) as *mut c_void;
    let mut f = ptr::null_mut();
    let mut status =
        unsafe { sys::napi_create_function(env, name.as_ptr(), name.count_bytes() as isize, callback, data, &mut f) };
    if status == sys::Status::napi_ok {
        status =
            unsafe { sys::napi_add_finalizer(env, f, data, Some(finalize_matcher), ptr::null_mut(), ptr::null_mut()) };
    }
    if status != sys::Status::napi_ok {
        unsafe { finalize_matcher(env, data, ptr::null_mut()) };
        check_status!(status, "Failed to create the {} function", name.to_string_lossy())?;
    }
    Ok(f)
}

/// Drops one count; the last one deletes the buffer reference with the matcher.
fn release(env: sys::napi_env, shared: Rc<Shared>) {
    if let Some(cell) = Rc::into_inner(shared) {
        let matcher = cell.into_inner();
        unsafe { sys::napi_delete_reference(env, matcher.buffer_ref) };
    }
}

unsafe extern "C" fn finalize_matcher(env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    release(env, unsafe { Rc::from_raw(data as *const Shared) });
}

/// Runs `body` on the matcher of the function being called; -1 if the call information is
/// unavailable or `body` panicked. `argv` receives up to N arguments (`undefined` when absent).
unsafe fn with_matcher<const N: usize>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
    body: impl FnOnce(&mut Matcher, usize, [sys::napi_value; N]) -> i32,
) -> sys::napi_value {
    // No panic is expected (tree.rs indexes only within its invariants); if one happened, it
    // must not unwind into V8.
    let route = catch_unwind(AssertUnwindSafe(|| {
        let mut argc = N;
        let mut argv = [ptr::null_mut(); N];
        let mut data = ptr::null_mut();
        let status =
            unsafe { sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), &mut data) };
        if status != sys::Status::napi_ok || data.is_null() {
            return -1;
        }
        // SAFETY: `data` is the matcher this function was created with; it lives while any of
        // its functions does. Nothing here calls back into JavaScript, so this is the only
        // live reference (JavaScript runs between a suspension and `resume`, never during).
        let m = unsafe { &mut *(*(data as *const Shared)).get() };
        body(m, argc, argv)
    }))
    .unwrap_or(-1);
    let mut result = ptr::null_mut();
    unsafe { sys::napi_create_int32(env, route, &mut result) };
    result
}

unsafe extern "C" fn lookup_callback(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe { with_matcher::<2>(env, info, |m, argc, argv| lookup(env, m, argc, argv)) }
}

unsafe extern "C" fn resume_callback(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        with_matcher::<0>(env, info, |m, _, _| {
            let route = m.tree.resume(&m.walk_path.units, &mut m.caps, &mut m.scratch);
            if route >= 0 && !m.publish(env) {
                m.scratch.discard();
                return -1;
            }
            route
        })
    }
}

unsafe extern "C" fn lookup_all_callback(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        with_matcher::<1>(env, info, |m, _, argv| {
            if !read_utf16(env, argv[0], &mut m.walk_path.units) {
                m.scratch.discard();
                return -1;
            }
            let mut route = m.tree.lookup_all(&m.walk_path.units, &mut m.caps, &mut m.scratch);
            if route >= 0 && !m.publish(env) {
                m.scratch.discard();
                route = -1;
            }
            if !m.scratch.is_suspended() {
                m.walk_path.shrink_if_oversized();
            }
            route
        })
    }
}

unsafe extern "C" fn last_steps_callback(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let mut steps = 0f64;
    unsafe {
        with_matcher::<0>(env, info, |m, _, _| {
            steps = m.scratch.steps as f64;
            0
        })
    };
    let mut result = ptr::null_mut();
    unsafe { sys::napi_create_double(env, steps, &mut result) };
    result
}

unsafe fn lookup(env: sys::napi_env, m: &mut Matcher, argc: usize, argv: [sys::napi_value; 2]) -> i32 {
    if !m.tree.has_guards() {
        // Nothing can suspend: the path has its own buffer and a suspended `lookupAll` walk
        // is left alone. With no argument, `argv[0]` is `undefined` and reading it fails.
        if !unsafe { read_utf16(env, argv[0], &mut m.path.units) } {
            return -1;
        }
        let mut route = m.tree.lookup(&m.path.units, &mut m.caps, &mut m.scratch);
        if route >= 0 && !unsafe { m.publish(env) } {
            route = -1;
        }
        m.path.shrink_if_oversized();
        return route;
    }
    if !unsafe { read_utf16(env, argv[0], &mut m.walk_path.units) } {
        m.scratch.discard();
        return -1;
    }
    let mut method = tree::ALL_METHODS;
    if argc >= 2 {
        match unsafe { read_method(env, argv[1]) } {
            Some(bit) => method = bit,
            None => {
                m.scratch.discard();
                return -1;
            }
        }
    }
    let mut route = m.tree.lookup_method(&m.walk_path.units, method, &mut m.caps, &mut m.scratch);
    if route >= 0 && !unsafe { m.publish(env) } {
        m.scratch.discard();
        route = -1;
    }
    // A suspended walk still needs its path.
    if !m.scratch.is_suspended() {
        m.walk_path.shrink_if_oversized();
    }
    route
}

/// A reused buffer a path is read into (its capacity is the usable size).
struct PathBuf {
    units: Vec<u16>,
    /// Lookups in a row that used less than a quarter of an oversized buffer.
    underused: u32,
}

impl Default for PathBuf {
    fn default() -> Self {
        PathBuf { units: Vec::with_capacity(INITIAL_PATH_UNITS), underused: 0 }
    }
}

impl PathBuf {
    /// Gives a huge buffer back after `SHRINK_AFTER` lookups in a row that used little of it.
    fn shrink_if_oversized(&mut self) {
        let capacity = self.units.capacity();
        if capacity > MAX_KEPT_PATH_UNITS {
            if self.units.len() < capacity / 4 {
                self.underused += 1;
                if self.underused >= SHRINK_AFTER {
                    *self = PathBuf::default();
                }
            } else {
                self.underused = 0;
            }
        }
    }
}

/// The method argument: a number read as int32, `undefined` for every method; None for
/// anything else.
unsafe fn read_method(env: sys::napi_env, value: sys::napi_value) -> Option<i32> {
    let mut bit = 0i32;
    if unsafe { sys::napi_get_value_int32(env, value, &mut bit) } == sys::Status::napi_ok {
        return Some(bit);
    }
    let mut kind = 0;
    if unsafe { sys::napi_typeof(env, value, &mut kind) } == sys::Status::napi_ok
        && kind == sys::ValueType::napi_undefined
    {
        return Some(tree::ALL_METHODS);
    }
    None
}

impl Matcher {
    /// Copies the captures into the offsets buffer; false if the buffer was detached.
    unsafe fn publish(&mut self, env: sys::napi_env) -> bool {
        let mut buffer = ptr::null_mut();
        if unsafe { sys::napi_get_reference_value(env, self.buffer_ref, &mut buffer) } != sys::Status::napi_ok
            || buffer.is_null()
        {
            return false;
        }
        let mut detached = true;
        if unsafe { sys::napi_is_detached_arraybuffer(env, buffer, &mut detached) } != sys::Status::napi_ok || detached
        {
            return false;
        }
        // SAFETY: the ArrayBuffer is alive (strong reference), not detached, not resizable (we
        // created it) and `caps.len()` int32s long; V8 never moves an ArrayBuffer's backing
        // store.
        unsafe { ptr::copy_nonoverlapping(self.caps.as_ptr(), self.out, self.caps.len()) };
        true
    }
}

/// Reads a JavaScript string's UTF-16 code units into `buf` (replacing its contents; its
/// capacity grows as needed and nothing is zero-filled first). False if `value` is not a
/// string. One Node-API call for a path shorter than the buffer, three for a longer one.
unsafe fn read_utf16(env: sys::napi_env, value: sys::napi_value, buf: &mut Vec<u16>) -> bool {
    buf.clear();
    if buf.capacity() < 2 {
        buf.reserve(INITIAL_PATH_UNITS);
    }
    let mut copied = 0usize;
    let status = unsafe { sys::napi_get_value_string_utf16(env, value, buf.as_mut_ptr(), buf.capacity(), &mut copied) };
    if status != sys::Status::napi_ok || copied >= buf.capacity() {
        return false;
    }
    // The call writes at most `capacity - 1` units and a terminating NUL: a full buffer may
    // hold a truncated string.
    if copied + 1 == buf.capacity() {
        let mut total = 0usize;
        let status = unsafe { sys::napi_get_value_string_utf16(env, value, ptr::null_mut(), 0, &mut total) };
        if status != sys::Status::napi_ok {
            return false;
        }
        if total != copied {
            buf.reserve_exact(total + 1);
            let status =
                unsafe { sys::napi_get_value_string_utf16(env, value, buf.as_mut_ptr(), buf.capacity(), &mut copied) };
            if status != sys::Status::napi_ok || copied != total || copied >= buf.capacity() {
                return false;
            }
        }
    }
    // SAFETY: Node-API initialized the first `copied` units (and `copied` < capacity).
    unsafe { buf.set_len(copied) };
    true
}
