//! Crossing probes: raw Node-API callbacks that do a chosen part of `lookup`'s work and
//! nothing else, so a benchmark can put a number on the floor of any native lookup
//! (bench/floors-native.mjs, issue 18: "the N-API crossing measured against an empty call").
//!
//! Each probe has `lookup`'s signature, `(path: string, method?: number) => number`, and is
//! created the same way (`napi_create_function`, a raw callback, no `#[napi]` glue), so the
//! difference between two probes is exactly the work one adds:
//! - `empty`: reads the call information (two arguments) and returns an int32: the crossing.
//! - `readUtf16`: plus the path's UTF-16 code units copied into a reused buffer, as `lookup`
//!   reads it today; returns the length.
//! - `readLatin1`: the same with `napi_get_value_string_latin1` (one byte per unit), the
//!   cheaper read the issue asks about; exact only for a path of code units < 256 (every
//!   normalized path is ASCII), which a real reader would have to check.
//! - `object`: the crossing plus a `{ route, end }` object built on the native side (keys
//!   created once), the cost of moving the match object's construction into the crossing.
//!
//! Nothing here is used by the matcher; it lives in the addon because a separate addon would
//! measure a different module's call path.

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use std::ffi::c_void;
use std::ptr;

use crate::JsRaw;

/// Functions with `lookup`'s signature that do only part of its work, for bench/floors-lookup.mjs
/// (native/src/probe.rs); the matcher never uses them.
#[napi(object, object_from_js = false)]
pub struct CrossingProbe {
    /// The crossing alone: reads its arguments, returns 0.
    #[napi(ts_type = "(path: string, method?: number) => number")]
    pub empty: JsRaw,
    /// The crossing plus the path read as UTF-16 into a reused buffer; returns its length.
    #[napi(ts_type = "(path: string, method?: number) => number")]
    pub read_utf16: JsRaw,
    /// The crossing plus the path read as Latin-1 into a reused buffer; returns its length.
    #[napi(ts_type = "(path: string, method?: number) => number")]
    pub read_latin1: JsRaw,
    /// The crossing plus a `{ route: 0, end: length }` object built natively.
    #[napi(ts_type = "(path: string, method?: number) => { route: number; end: number }")]
    pub object: JsRaw,
}

/// Creates the probes (each owns its own buffer: the probes of one call do not share state).
#[napi]
pub fn create_crossing_probe(env: Env) -> Result<CrossingProbe> {
    let env = env.raw();
    unsafe {
        Ok(CrossingProbe {
            empty: JsRaw(probe(env, c"empty", Some(empty_callback), false)?),
            read_utf16: JsRaw(probe(env, c"readUtf16", Some(utf16_callback), true)?),
            read_latin1: JsRaw(probe(env, c"readLatin1", Some(latin1_callback), true)?),
            object: JsRaw(probe(env, c"object", Some(object_callback), true)?),
        })
    }
}

/// Reused read buffer of a probe: bytes, big enough for 4096 UTF-16 units.
const PROBE_BUFFER_BYTES: usize = 8192;

/// A probe's state: its read buffer and, for `object`, the property keys created once (so
/// the probe measures building the object, not interning its key strings on every call).
/// Node 20's Node-API cannot reference a string, so the keys live in an array it references.
struct ProbeData {
    buf: Vec<u16>,
    keys: sys::napi_ref,
}

unsafe fn probe(
    env: sys::napi_env,
    name: &std::ffi::CStr,
    callback: sys::napi_callback,
    buffer: bool,
) -> Result<sys::napi_value> {
    // Freed (with its key references) by the function's finalizer.
    let data: *mut c_void = if buffer {
        let mut keys = ptr::null_mut();
        unsafe {
            let mut array = ptr::null_mut();
            sys::napi_create_array(env, &mut array);
            for (i, text) in [c"route", c"end"].into_iter().enumerate() {
                let mut value = ptr::null_mut();
                sys::napi_create_string_latin1(env, text.as_ptr(), text.count_bytes() as isize, &mut value);
                sys::napi_set_element(env, array, i as u32, value);
            }
            sys::napi_create_reference(env, array, 1, &mut keys);
        }
        Box::into_raw(Box::new(ProbeData { buf: vec![0u16; PROBE_BUFFER_BYTES / 2], keys })) as *mut c_void
    } else {
        ptr::null_mut()
    };
    let mut f = ptr::null_mut();
    let mut status =
        unsafe { sys::napi_create_function(env, name.as_ptr(), name.count_bytes() as isize, callback, data, &mut f) };
    if status == sys::Status::napi_ok && !data.is_null() {
        status = unsafe { sys::napi_add_finalizer(env, f, data, Some(free_data), ptr::null_mut(), ptr::null_mut()) };
    }
    if status != sys::Status::napi_ok {
        if !data.is_null() {
            unsafe { free_data(env, data, ptr::null_mut()) };
        }
        check_status!(status, "Failed to create the {} probe", name.to_string_lossy())?;
    }
    Ok(f)
}

unsafe extern "C" fn free_data(env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    let data = unsafe { Box::from_raw(data as *mut ProbeData) };
    if !data.keys.is_null() {
        unsafe { sys::napi_delete_reference(env, data.keys) };
    }
}

/// The call's two arguments (`undefined` when absent) and its buffer, as `lookup` reads them.
unsafe fn arguments(env: sys::napi_env, info: sys::napi_callback_info) -> ([sys::napi_value; 2], *mut ProbeData) {
    let mut argc = 2usize;
    let mut argv = [ptr::null_mut(); 2];
    let mut data = ptr::null_mut();
    unsafe { sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), &mut data) };
    (argv, data as *mut ProbeData)
}

unsafe fn int32(env: sys::napi_env, value: i32) -> sys::napi_value {
    let mut result = ptr::null_mut();
    unsafe { sys::napi_create_int32(env, value, &mut result) };
    result
}

unsafe extern "C" fn empty_callback(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        arguments(env, info);
        int32(env, 0)
    }
}

/// Reads the path into the probe's buffer; its length in units, or -1 (not a string).
unsafe fn read(env: sys::napi_env, info: sys::napi_callback_info, latin1: bool) -> i32 {
    let (argv, buf) = unsafe { arguments(env, info) };
    if buf.is_null() {
        return -1;
    }
    let buf = unsafe { &mut (*buf).buf };
    let mut copied = 0usize;
    let status = if latin1 {
        unsafe {
            sys::napi_get_value_string_latin1(env, argv[0], buf.as_mut_ptr().cast(), PROBE_BUFFER_BYTES, &mut copied)
        }
    } else {
        unsafe { sys::napi_get_value_string_utf16(env, argv[0], buf.as_mut_ptr(), buf.len(), &mut copied) }
    };
    if status != sys::Status::napi_ok {
        return -1;
    }
    copied as i32
}

unsafe extern "C" fn utf16_callback(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe { int32(env, read(env, info, false)) }
}

unsafe extern "C" fn latin1_callback(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe { int32(env, read(env, info, true)) }
}

unsafe extern "C" fn object_callback(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        let end = read(env, info, true);
        let (_, data) = arguments(env, info);
        let mut object = ptr::null_mut();
        sys::napi_create_object(env, &mut object);
        if data.is_null() {
            return object;
        }
        let mut array = ptr::null_mut();
        sys::napi_get_reference_value(env, (*data).keys, &mut array);
        let mut keys = [ptr::null_mut(); 2];
        for (i, key) in keys.iter_mut().enumerate() {
            sys::napi_get_element(env, array, i as u32, key);
        }
        sys::napi_set_property(env, object, keys[0], int32(env, 0));
        sys::napi_set_property(env, object, keys[1], int32(env, end));
        object
    }
}
