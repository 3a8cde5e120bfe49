//! JS values in and out. Options are read by walking the JS value into a `serde_json::Value`
//! with a depth bound (a hostile nesting depth is an error, never a stack overflow that would
//! trap the instance), refusing what JSON cannot say (functions, symbols, non-finite numbers,
//! `Map`s and other non-plain objects, which would otherwise read as empty and silently drop a
//! requirement), then reading it member by member ([`crate::options`]) so unknown keys and wrong
//! types are refused with the option's path, in JavaScript's words.

use js_sys::{Array, Object, Reflect};
use serde_json::{Map, Number, Value};
use wasm_bindgen::{JsCast, JsValue};

use crate::options::FromJson;
use crate::{Error, Result};

/// Deeper than any option object or JSON document stepup reads.
const MAX_DEPTH: usize = 32;

/// Longer than any list stepup reads (key sets, ACR values, rules).
const MAX_ITEMS: u32 = 10_000;

/// Reads a JS value as JSON data; `param` names it in errors.
pub fn to_json(value: &JsValue, param: &str) -> Result<Value> {
    walk(value, param, 0)
}

fn walk(value: &JsValue, path: &str, depth: usize) -> Result<Value> {
    if depth > MAX_DEPTH {
        return Err(Error::arg_value(path, "is nested too deeply"));
    }
    if value.is_null() {
        return Ok(Value::Null);
    }
    if let Some(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(s) = value.as_string() {
        return Ok(Value::String(s));
    }
    if let Some(n) = value.as_f64() {
        return number(n).ok_or_else(|| Error::arg_value(path, "must be a finite number"));
    }
    if !value.is_object() || value.is_function() {
        return Err(not_json(path));
    }
    // Asked first because a revoked Proxy throws from every operation: Reflect reports that as an
    // error, where `Array.isArray` would unwind through the wasm stack.
    let proto = Reflect::get_prototype_of(value).map_err(|_| Error::arg_value(path, "could not be read"))?;
    if Array::is_array(value) {
        // `length` and the elements through Reflect too: a Proxy over an array is an array to
        // `Array.isArray`, and a trap that throws must be an error here, not an exception that
        // unwinds through the wasm stack (each unwind leaks its stack frames; enough of them break
        // the instance for good).
        let unreadable = |at: &str| Error::arg_value(at, "could not be read");
        let length = Reflect::get(value, &"length".into()).map_err(|_| unreadable(path))?;
        // Longer than any list an option holds: a sparse `new Array(2 ** 32 - 1)` would otherwise
        // be walked element by element.
        let length = match length.as_f64() {
            Some(n) if n >= 0.0 && n <= f64::from(MAX_ITEMS) && n.fract() == 0.0 => n as u32,
            Some(n) if n > f64::from(MAX_ITEMS) => return Err(Error::arg_value(path, "has too many elements")),
            _ => return Err(unreadable(path)),
        };
        let mut items = Vec::with_capacity(length as usize);
        for i in 0..length {
            let at = format!("{path}[{i}]");
            let item = Reflect::get_u32(value, i).map_err(|_| unreadable(&at))?;
            items.push(walk(&item, &at, depth + 1)?);
        }
        return Ok(Value::Array(items));
    }
    // Only plain objects: a Map, Date or class instance would read as `{}` and silently drop
    // whatever it holds.
    if proto.is_null() || proto == Object::get_prototype_of(&Object::new()) {
        let object: &Object = value.unchecked_ref();
        let mut map = Map::new();
        // Reflect's calls report a throwing Proxy trap as an error instead of unwinding
        // through the wasm stack.
        let keys = Reflect::own_keys(object).map_err(|_| Error::arg_value(path, "could not be read"))?;
        for key in keys.iter() {
            let Some(name) = key.as_string() else { continue };
            // Members are named as the caller spells options (`extraParams.x`), without the
            // argument's own name in front.
            let at = if depth == 0 { name.clone() } else { format!("{path}.{name}") };
            let item = Reflect::get(object, &key).map_err(|_| Error::arg_value(&at, "could not be read"))?;
            // `undefined` members read as absent, as in JSON.
            if !item.is_undefined() {
                let item = walk(&item, &at, depth + 1)?;
                map.insert(name, item);
            }
        }
        return Ok(Value::Object(map));
    }
    Err(not_json(path))
}

fn not_json(path: &str) -> Error {
    Error::arg_type(path, "JSON data (a plain object, array, string, finite number, boolean or null)")
}

/// JS numbers that are whole and safe become JSON integers, so that `maxAge: 300` reads as the
/// integer it is.
fn number(n: f64) -> Option<Value> {
    const SAFE: f64 = 9_007_199_254_740_991.0;
    if !n.is_finite() {
        return None;
    }
    if n.fract() == 0.0 && n.abs() <= SAFE {
        return Some(Value::Number(Number::from(n as i64)));
    }
    Number::from_f64(n).map(Value::Number)
}

/// Reads an options object into a core type (`T::from_json`): unknown keys, missing required
/// keys and wrong types are refused with the option's path as the caller spells it
/// (`acrValues[1]`).
pub fn read<T: FromJson>(value: &JsValue, param: &str) -> Result<T> {
    if value.is_undefined() || value.is_null() {
        return Err(Error::arg_type(param, "an object"));
    }
    // Members are named bare (`acrValues`), the argument itself by its name.
    T::from_json(&to_json(value, param)?, "").map_err(|e| match e {
        Error::InvalidArgType { param: at, expected } if at.is_empty() => Error::arg_type(param, expected),
        e => e,
    })
}

/// Like [`read`], for an optional trailing argument: absent (`undefined` or `null`) reads as the
/// type's default.
pub fn read_optional<T: FromJson + Default>(value: Option<JsValue>, param: &str) -> Result<T> {
    match value {
        Some(v) if !v.is_undefined() && !v.is_null() => read(&v, param),
        _ => Ok(T::default()),
    }
}

/// Reads any JSON-shaped argument (a list, a string or an object) with `read`, naming what is
/// inside after the argument (`required[1]`, `policy.ladder[0]`).
pub fn data<T>(value: &JsValue, param: &str, read: impl FnOnce(&Value, &str) -> Result<T>) -> Result<T> {
    read(&to_json(value, param)?, param)
}

/// A required string argument.
pub fn string(value: &JsValue, param: &str) -> Result<String> {
    value.as_string().ok_or_else(|| Error::arg_type(param, "a string"))
}

/// A core result (JSON data built by its `to_json`) as a plain JS value (objects, not `Map`s).
pub fn to_js(value: &Value) -> JsValue {
    parse_json(&value.to_string())
}

/// `JSON.parse`: one native pass instead of a call per member, and it defines own data
/// properties, so a signed claim named `__proto__` stays a claim, where assigning it would
/// replace the object's prototype and let a token add inherited "claims" (catalog A31).
fn parse_json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap_or(JsValue::UNDEFINED)
}
