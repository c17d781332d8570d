//! Node-API binding of the route tree (`tree.rs`). The binding only moves data across the
//! boundary; every matching rule lives in `tree.rs`.
//!
//! JavaScript API (see `bindings/index.d.ts`):
//!
//! ```ts
//! const m = createMatcher(shapes, { caseSensitive, ignoreTrailingSlash });
//! m.lookup(path)   // winning route index or -1; on a hit, capture offsets are in m.offsets
//! m.offsets        // Int32Array(2 * maxParams + 2), created once, written on every hit
//! m.conflicts      // [[earlier, later], ...]
//! ```
//!
//! Why `lookup` is a bare Node-API callback and not a `#[napi]` method: measured on this
//! machine (Node 20, napi 3.16), a `#[napi]` class method costs 300-450 ns per call (the
//! generated glue registers a native borrow per call), a `#[napi]` free function taking one
//! argument ~130 ns, and a raw callback ~17 ns. So `lookup` is a function created with
//! `napi_create_function` whose data pointer is the matcher; it makes five Node-API calls on a
//! hit (arguments, string read, buffer reference, detached check, int32 result) and allocates
//! nothing. `createMatcher` runs once per table and uses the ordinary `#[napi]` conversions.
//!
//! Memory safety around the offsets buffer: the binding allocates the `ArrayBuffer` itself
//! (so it is never resizable or shared) and keeps a strong reference to it, so its memory
//! lives as long as the matcher. The one thing JavaScript could still do is detach it
//! (`structuredClone(buf, { transfer })`, `ArrayBuffer.prototype.transfer`); before writing, a
//! hit checks that it is not detached (~5 ns) and reports -1 if it is.

#![deny(clippy::all)]

pub mod tree;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use tree::{Options, Scratch, Tree};

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
}

/// A compiled route table.
#[napi(object, object_from_js = false)]
pub struct NativeMatcher {
    /// Winning route index, or -1. On a hit, `offsets[2i]`, `offsets[2i + 1]` are the start and
    /// end of the i-th parameter value and `offsets[2n]` the start of the catch-all remainder
    /// (n = the route's parameters), in UTF-16 code units of `path`. Never throws: any value
    /// that is not a string, or a string not starting with `/`, gives -1.
    #[napi(ts_type = "(path: string) => number")]
    pub lookup: JsRaw,
    /// The buffer `lookup` writes into, `2 * maxParams + 2` long. Do not detach it.
    #[napi(ts_type = "Int32Array")]
    pub offsets: JsRaw,
    /// Pairs `[earlier, later]` of routes whose shapes are equal; the later one was not
    /// inserted.
    #[napi(ts_type = "Array<[number, number]>")]
    pub conflicts: Vec<Vec<u32>>,
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

/// Everything `lookup` needs, owned by the `lookup` function object (freed by its finalizer).
struct Matcher {
    tree: Tree,
    scratch: Scratch,
    /// Reused buffer the path is read into (its capacity is the usable size).
    path: Vec<u16>,
    /// Lookups in a row that used less than a quarter of an oversized `path`.
    path_underused: u32,
    /// Captures of the current walk; copied to `out` on a hit.
    caps: Vec<i32>,
    /// The offsets `ArrayBuffer`'s data, `caps.len()` int32s.
    out: *mut i32,
    /// Strong reference to the offsets `ArrayBuffer`.
    buffer_ref: sys::napi_ref,
}

/// Compiles route shapes (`":"` a parameter, `"*"` a trailing catch-all, anything else static
/// text) into a matcher. Throws an `Error` (code `InvalidArg`) for a shape the TypeScript validator
/// never produces (no segment, `"*"` not last, `/` inside a segment).
#[napi(ts_args_type = "shapes: string[][], options: MatcherOptions")]
pub fn create_matcher(env: Env, shapes: Vec<Vec<Utf16String>>, options: MatcherOptions) -> Result<NativeMatcher> {
    let tree = Tree::new(
        &shapes,
        Options { case_sensitive: options.case_sensitive, ignore_trailing_slash: options.ignore_trailing_slash },
    )
    .map_err(|e| Error::new(Status::InvalidArg, e.to_string()))?;
    drop(shapes);
    let conflicts = tree.conflicts().iter().map(|pair| pair.to_vec()).collect();
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
        let matcher = Box::into_raw(Box::new(Matcher {
            tree,
            scratch: Scratch::default(),
            path: Vec::with_capacity(INITIAL_PATH_UNITS),
            path_underused: 0,
            caps: vec![0; caps_len],
            out: data.cast(),
            buffer_ref,
        }));
        let mut lookup = ptr::null_mut();
        let mut status = sys::napi_create_function(
            env,
            c"lookup".as_ptr(),
            6,
            Some(lookup_callback),
            matcher.cast(),
            &mut lookup,
        );
        if status == sys::Status::napi_ok {
            status = sys::napi_add_finalizer(env, lookup, matcher.cast(), Some(finalize_matcher), ptr::null_mut(), ptr::null_mut());
        }
        if status != sys::Status::napi_ok {
            finalize_matcher(env, matcher.cast(), ptr::null_mut());
            check_status!(status, "Failed to create the lookup function")?;
        }
        Ok(NativeMatcher { lookup: JsRaw(lookup), offsets: JsRaw(offsets), conflicts, max_params, node_count })
    }
}

unsafe extern "C" fn finalize_matcher(env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    let matcher = unsafe { Box::from_raw(data as *mut Matcher) };
    unsafe { sys::napi_delete_reference(env, matcher.buffer_ref) };
}

unsafe extern "C" fn lookup_callback(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    // No panic is expected (tree.rs indexes only within its invariants); if one happened, it
    // must not unwind into V8.
    let route = catch_unwind(AssertUnwindSafe(|| unsafe { lookup(env, info) })).unwrap_or(-1);
    let mut result = ptr::null_mut();
    unsafe { sys::napi_create_int32(env, route, &mut result) };
    result
}

unsafe fn lookup(env: sys::napi_env, info: sys::napi_callback_info) -> i32 {
    let mut argc = 1usize;
    let mut argv = [ptr::null_mut(); 1];
    let mut data = ptr::null_mut();
    let status = unsafe { sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), &mut data) };
    if status != sys::Status::napi_ok || data.is_null() {
        return -1;
    }
    // With no argument, `argv[0]` is `undefined` and reading it as a string fails below.
    // SAFETY: `data` is the matcher this function was created with; it is freed only by the
    // function's finalizer, which cannot run while the function is executing. Nothing here
    // calls back into JavaScript, so this is the only live reference.
    let m = unsafe { &mut *(data as *mut Matcher) };
    if !unsafe { read_utf16(env, argv[0], &mut m.path) } {
        return -1;
    }
    let mut route = m.tree.lookup(&m.path, &mut m.caps, &mut m.scratch);
    if route >= 0 && !unsafe { m.publish(env) } {
        route = -1;
    }
    let capacity = m.path.capacity();
    if capacity > MAX_KEPT_PATH_UNITS {
        if m.path.len() < capacity / 4 {
            m.path_underused += 1;
            if m.path_underused >= SHRINK_AFTER {
                m.path = Vec::with_capacity(INITIAL_PATH_UNITS);
                m.path_underused = 0;
            }
        } else {
            m.path_underused = 0;
        }
    }
    route
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
        if unsafe { sys::napi_is_detached_arraybuffer(env, buffer, &mut detached) } != sys::Status::napi_ok || detached {
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
