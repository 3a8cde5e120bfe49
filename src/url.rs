//! The few URL rules the protocol needs, kept strict and small instead of pulling in a general
//! URL parser: which endpoints stepup will send a user or a request to, how a parameter value is
//! percent-encoded exactly once, and how a response's query is read without guessing.

use std::borrow::Cow;

use crate::{pkce::is_unreserved, Error, Result};

/// An endpoint stepup may talk to (RFC 9700 §2.6 / OAuth 2.1: TLS, or plain HTTP to loopback
/// only), already split at its query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `scheme://authority/path`, exactly as given.
    pub base: String,
    /// The endpoint's own query, without `?`, exactly as given (kept, never re-encoded).
    pub query: Option<String>,
    /// Lower-cased host, with brackets for IPv6.
    pub host: String,
}

impl Endpoint {
    /// Parses `https://host[:port][/path][?query]`, or `http://` with a loopback host
    /// (`localhost`, `127.0.0.1`, `[::1]`). Refuses user info, fragments, and anything that is
    /// not already-encoded visible ASCII, because such a value would be interpreted differently
    /// by different URL parsers. `param` names the option in errors.
    pub fn parse(text: &str, param: &str) -> Result<Self> {
        let bad = |why: &str| Error::arg_value(param, why.to_string());
        if text.is_empty() {
            return Err(bad("must not be empty"));
        }
        if !text.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') {
            return Err(bad("must be an absolute URL of visible ASCII (percent-encode the rest)"));
        }
        if text.contains('#') {
            return Err(bad("must not have a fragment"));
        }
        let (secure, rest) = if let Some(rest) = strip_prefix_ignore_case(text, "https://") {
            (true, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(text, "http://") {
            (false, rest)
        } else {
            return Err(bad("must be an https URL (http only for localhost)"));
        };
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(bad("must not contain user info"));
        }
        let host = split_host(authority).ok_or_else(|| bad("has no valid host"))?;
        let host = host.to_ascii_lowercase();
        if !secure && !matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]") {
            return Err(bad("must use https (http is allowed for localhost only)"));
        }
        let (base, query) = match text.split_once('?') {
            Some((base, query)) => (base.to_string(), Some(query.to_string())),
            None => (text.to_string(), None),
        };
        Ok(Endpoint { base, query, host })
    }
}

/// `text` without `prefix`, compared ignoring ASCII case.
fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let (head, rest) = text.split_at_checked(prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then_some(rest)
}

/// Splits `host[:port]` and checks both parts; returns the host.
fn split_host(authority: &str) -> Option<&str> {
    let (host, port) = if let Some((ipv6, _)) = authority.strip_prefix('[').and_then(|a| a.split_once(']')) {
        if ipv6.is_empty() || !ipv6.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
            return None;
        }
        // `[`, the address and `]`.
        authority.split_at_checked(ipv6.len() + 2)?
    } else {
        let end = authority.find(':').unwrap_or(authority.len());
        let (host, port) = authority.split_at_checked(end)?;
        let valid = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
        if host.is_empty() || !host.chars().all(valid) || host.starts_with(['.', '-']) {
            return None;
        }
        (host, port)
    };
    match port.strip_prefix(':') {
        None if port.is_empty() => Some(host),
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            p.parse::<u16>().ok().filter(|n| *n > 0).map(|_| host)
        }
        _ => None,
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so a value survives any
/// query parser unchanged (space becomes `%20`, never `+`).
pub fn percent_encode(value: &str) -> String {
    escape_bytes(value, |b| b.is_ascii() && is_unreserved(b as char)).into_owned()
}

/// `text` with every byte that `kept` refuses written as an upper-case `%XX` escape (so every
/// byte of a non-ASCII character, unless `kept` takes it); borrowed when none needs one.
pub(crate) fn escape_bytes(text: &str, kept: impl Fn(u8) -> bool) -> Cow<'_, str> {
    if text.bytes().all(&kept) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for b in text.bytes() {
        if kept(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 15));
        }
    }
    Cow::Owned(out)
}

/// The upper-case hex digit for a nibble (0 to 15).
fn hex_digit(nibble: u8) -> char {
    char::from_digit(u32::from(nibble & 15), 16).map_or('0', |c| c.to_ascii_uppercase())
}

impl Endpoint {
    /// Refuses an endpoint whose own query sets one of `names` (`param` names the endpoint): it
    /// would reach the server beside the value stepup sends, and instead of it where the server
    /// reads the first.
    pub fn refuse_in_query(&self, param: &str, names: &[&str]) -> Result<()> {
        let Some(query) = &self.query else { return Ok(()) };
        let pairs = parse_query(query).map_err(|why| Error::arg_value(param, format!("query: {why}")))?;
        match pairs.iter().find(|(n, _)| crate::authorize::names_one_of(n, names)) {
            Some((name, _)) => Err(Error::arg_value(param, format!("its query may not set \"{name}\""))),
            None => Ok(()),
        }
    }

    /// The endpoint with `pairs` added to its query: its own query first, kept as given
    /// (OIDC Core 3.1.2.1 and RP-Initiated Logout 1.0 §2 let an endpoint URL carry one).
    pub fn with_query(self, pairs: &[(&str, &str)]) -> String {
        let mut url = self.base;
        url.push('?');
        if let Some(query) = self.query.filter(|q| !q.is_empty()) {
            url.push_str(&query);
        }
        append_query(&mut url, pairs);
        url
    }
}

/// Appends `name=value` pairs to a query, each encoded exactly once.
pub fn append_query(out: &mut String, pairs: &[(&str, &str)]) {
    for (name, value) in pairs {
        if !out.ends_with(['?', '&']) {
            out.push('&');
        }
        out.push_str(&percent_encode(name));
        out.push('=');
        out.push_str(&percent_encode(value));
    }
}

/// Reads an `application/x-www-form-urlencoded` query strictly: malformed percent-escapes and
/// bytes that do not decode to UTF-8 are refused rather than replaced, so the value checked is
/// the value sent. Returns the pairs in order; `param` names the input in errors.
pub fn parse_query(query: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    for piece in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        pairs.push((form_decode(name)?, form_decode(value)?));
    }
    Ok(pairs)
}

fn form_decode(text: &str) -> std::result::Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let byte = bytes
                    .get(i + 1..i + 3)
                    .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                    .ok_or_else(|| format!("malformed percent-encoding in {text:?}"))?;
                out.push(byte);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "percent-encoding does not decode to UTF-8".to_string())
}

#[cfg(test)]
mod tests;
