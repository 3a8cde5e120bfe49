//! Strict JSON for everything a peer sends (token headers and claims, key sets, discovery
//! documents): a duplicate member anywhere is refused instead of silently keeping the last one
//! (RFC 7515 §4 and RFC 7519 §4 allow either; refusing is the only choice that cannot be used to
//! show one value to a checker and another to a consumer). Nesting is bounded by serde_json's
//! recursion limit (128), so hostile depth is an error, never a stack overflow.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// A JSON object, parsed strictly.
pub type Object = Map<String, Value>;

/// Parses text that must be one JSON object with no duplicate members at any depth and nothing
/// after it. The error says why, in lower case.
pub fn parse_object(text: &[u8]) -> Result<Object, String> {
    match serde_json::from_slice::<Strict>(text) {
        Ok(Strict(Value::Object(map))) => Ok(map),
        Ok(_) => Err("not a JSON object".to_string()),
        Err(e) => Err(lower_first(&e.to_string())),
    }
}

/// Parses any strict JSON value (no duplicate members, bounded depth).
pub fn parse_value(text: &[u8]) -> Result<Value, String> {
    serde_json::from_slice::<Strict>(text).map(|s| s.0).map_err(|e| lower_first(&e.to_string()))
}

/// Parses our own stored state or a message of our own (not a peer's document: duplicate members
/// are not looked for), `None` when it is not JSON. Read as bytes, as [`parse_object`] reads, so
/// one serde_json reader serves every parse (a second one costs the browser build 8 KB).
pub fn parse_own(text: &str) -> Option<Value> {
    serde_json::from_slice(text.as_bytes()).ok()
}

/// How many arrays and objects `value` nests, itself included (0 for anything else). Values here
/// come from a parse, so the recursion is bounded as theirs was.
pub fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(members) => 1 + members.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// serde_json's messages are English and ASCII: the first letter lower-cased as ASCII (which
/// spares the browser build Unicode's case tables).
fn lower_first(s: &str) -> String {
    let mut out = s.to_string();
    // An acronym keeps its case ("EOF while parsing", not "eOF").
    if !out.as_bytes().get(1).is_some_and(u8::is_ascii_uppercase) {
        if let Some(first) = out.get_mut(..1) {
            first.make_ascii_lowercase();
        }
    }
    out
}

/// A `serde_json::Value` whose objects were checked for duplicate members while parsing.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            // One search of the map per member: the place it would take, or the duplicate.
            match object.entry(key) {
                serde_json::map::Entry::Vacant(place) => {
                    let Strict(value) = map.next_value()?;
                    place.insert(value);
                }
                serde_json::map::Entry::Occupied(duplicate) => {
                    return Err(de::Error::custom(format!("duplicate member {:?}", duplicate.key())));
                }
            }
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_parse() {
        let o = parse_object(br#"{ "a" : 1, "b": [true, null, "x", 1.5], "c": {"d": {}} }"#).unwrap();
        assert_eq!(o["b"][3], 1.5);
    }

    #[test]
    fn duplicates_are_refused_at_any_depth() {
        for bad in [
            &br#"{"alg":"none","alg":"RS256"}"#[..],
            br#"{"a":{"sub":"alice","sub":"admin"}}"#,
            br#"{"a":[{"x":1,"x":1}]}"#,
        ] {
            let err = parse_object(bad).unwrap_err();
            assert!(err.contains("duplicate member"), "{err}");
        }
    }

    #[test]
    fn messages_start_in_lower_case_but_acronyms_keep_theirs() {
        assert!(parse_object(b"{").unwrap_err().starts_with("EOF while parsing"));
        assert!(parse_object(b"{x}").unwrap_err().starts_with("key must be a string"));
    }

    #[test]
    fn non_objects_and_garbage_are_refused() {
        for bad in [
            &b"0"[..],
            b"[]",
            b"null",
            b"\"x\"",
            b"{",
            b"{\"sub\":\"x\"} x",
            b"",
            b"{\"sub\":\"a\xC0\xAFb\"}",
            br#"{"sub":"\ud800"}"#,
            br#"{"n":1e400}"#,
        ] {
            assert!(parse_object(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn depth_is_bounded_without_overflow() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_object(deep.as_bytes()).unwrap_err().contains("recursion limit"));
        let ok = format!("{{\"a\":{}{}}}", "[".repeat(100), "]".repeat(100));
        assert!(parse_object(ok.as_bytes()).is_ok());
    }
}
