//! JS values in and out. Options are read by walking the JS value into a `serde_json::Value`
//! with a depth bound (a hostile nesting depth is an error, never a stack overflow that would
//! trap the instance), refusing what JSON cannot say (functions, symbols, non-finite numbers,
//! `Map`s and other non-plain objects, which would otherwise read as empty and silently drop a
//! requirement), then deserialising with serde so unknown keys and wrong types are refused with
//! the option's path.

use js_sys::{Array, Object, Reflect};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Number, Value};
use wasm_bindgen::{JsCast, JsValue};

use crate::{Error, Result};

/// Deeper than any option object or JSON document stepup reads.
const MAX_DEPTH: usize = 32;

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
        let array: &Array = value.unchecked_ref();
        let mut items = Vec::with_capacity(array.length() as usize);
        for (i, item) in array.iter().enumerate() {
            items.push(walk(&item, &format!("{path}[{i}]"), depth + 1)?);
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

/// Reads an options object into a core type: unknown keys, missing required keys and wrong
/// types are refused with the option's path (`acrValues[1]`).
pub fn options<T: DeserializeOwned>(value: &JsValue, param: &str) -> Result<T> {
    if value.is_undefined() || value.is_null() {
        return Err(Error::arg_type(param, "an object"));
    }
    let value = to_json(value, param)?;
    if !value.is_object() {
        return Err(Error::arg_type(param, "an object"));
    }
    deserialize(value, param)
}

/// Like [`options`], for an optional trailing argument: absent (`undefined` or `null`) reads as
/// the type's default.
pub fn optional_options<T: DeserializeOwned + Default>(value: Option<JsValue>, param: &str) -> Result<T> {
    value.map_or_else(|| Ok(T::default()), |v| options(&v, param))
}

/// Reads any JSON-shaped argument (a list, a string or an object) into a core type.
pub fn data<T: DeserializeOwned>(value: &JsValue, param: &str) -> Result<T> {
    deserialize(to_json(value, param)?, param)
}

fn deserialize<T: DeserializeOwned>(value: Value, param: &str) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let at = e.path().to_string();
        let message = e.inner().to_string();
        // Members of an options object are named as the caller spells them (`acrValues[1]`);
        // elements of a list argument after the argument (`required[1]`).
        let path = match at.as_str() {
            "." => String::new(),
            _ if at.starts_with('[') => format!("{param}{at}"),
            _ => at,
        };
        let name = |field: &str| if path.is_empty() { field.to_string() } else { format!("{path}.{field}") };
        if let Some(field) = between(&message, "missing field `", "`") {
            Error::arg_type(name(field), "present")
        } else if message.starts_with("unknown field") {
            // The path already ends at the unknown key.
            Error::arg_value(path, "is not a known option")
        } else if message.starts_with("invalid type") {
            let expected = message.rsplit_once(", expected ").map_or("another type", |(_, e)| e);
            Error::arg_type(if path.is_empty() { param.to_string() } else { path }, expected.to_string())
        } else {
            Error::arg_value(if path.is_empty() { param.to_string() } else { path }, message)
        }
    })
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = text.split_once(start)?.1;
    Some(rest.split_once(end)?.0)
}

/// A required string argument.
pub fn string(value: &JsValue, param: &str) -> Result<String> {
    value.as_string().ok_or_else(|| Error::arg_type(param, "a string"))
}

/// A core result as a plain JS value (objects, not `Map`s).
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    // The types stepup returns are plain data with string keys; serialising them cannot fail, and
    // `undefined` would only show a bug, never trap.
    serde_json::to_string(value).map_or(JsValue::UNDEFINED, |text| parse_json(&text))
}

/// `JSON.parse`: one native pass instead of a call per member, and it defines own data
/// properties, so a signed claim named `__proto__` stays a claim, where assigning it would
/// replace the object's prototype and let a token add inherited "claims" (catalog A31).
fn parse_json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap_or(JsValue::UNDEFINED)
}
