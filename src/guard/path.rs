//! Path normalisation and rule matching for the edge guard (contract section 6; SECURITY G10,
//! G11).
//!
//! The guard and the origin behind it must agree on which resource a request names, yet origins
//! disagree with each other: Express matches case-insensitively, nginx and node decode percent
//! escapes, Java servlet containers drop `;parameters`, Spring trims whitespace, proxies merge
//! slashes, Windows servers drop trailing dots. So the guard folds every one of those differences
//! into one canonical path, and anything it cannot fold unambiguously (an encoded `/`, `\` or
//! `%`, a NUL or other control character, a malformed escape, non-UTF-8 bytes, or a segment of
//! dots and whitespace such as `...` that is neither `.` nor `..`) is
//! [`Normalized::Ambiguous`]: the guard then applies every rule at once instead of none.

/// The outcome of normalising a request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Normalized {
    /// The canonical path: lower case, `/`-separated, no empty, `.` or `..` segments, no
    /// trailing slash (the root is `/`).
    Path(String),
    /// The path could be read differently by different origins.
    Ambiguous,
}

/// Normalises the path of a request URL (without query or fragment).
pub fn normalize(path: &str) -> Normalized {
    let Some(decoded) = decode(path) else { return Normalized::Ambiguous };
    let mut segments: Vec<String> = Vec::new();
    for raw in decoded.split(['/', '\\']) {
        let Some(segment) = canonical_segment(raw) else { return Normalized::Ambiguous };
        match segment.as_str() {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            segment => segments.push(segment.to_string()),
        }
    }
    Normalized::Path(format!("/{}", segments.join("/")))
}

/// Percent-decodes a path, refusing escapes whose decoding changes how the path splits
/// (`%2F`, `%5C`, `%25`), control characters, malformed escapes and non-UTF-8 results.
fn decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let byte = if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            i += 2;
            let value = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            if matches!(value, b'/' | b'\\' | b'%') {
                return None;
            }
            value
        } else {
            b
        };
        if byte.is_ascii_control() {
            return None;
        }
        out.push(byte);
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// One segment as the most lenient origin would read it: `;parameters` dropped (servlet
/// containers), surrounding whitespace and trailing dots dropped in any order (Spring, Windows:
/// `admin .` is `admin`), lower case (case-insensitive routers). `..;` therefore reads as `..`,
/// as Tomcat reads it. A segment of dots and whitespace other than `.` and `..` (`...`, `. .`,
/// `.. .`) is `None`: origins differ on whether it names this directory, its parent or a file.
fn canonical_segment(raw: &str) -> Option<String> {
    let without_params = raw.split(';').next().unwrap_or_default();
    let trimmed = without_params.trim();
    let stripped = trimmed.trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    match (trimmed, stripped) {
        ("" | "." | "..", _) => Some(trimmed.to_string()),
        (_, "") => None,
        _ => Some(stripped.to_lowercase()),
    }
}

/// A rule's path pattern: an exact path, or a prefix when it ends in `/*` (`*` may appear only
/// as the last segment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The normalised path or prefix.
    base: String,
    /// Whether everything below `base` matches too.
    prefix: bool,
}

impl Pattern {
    /// Parses a pattern such as `/admin`, `/admin/*` or `/*`; the error says why it is refused.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        if !pattern.starts_with('/') {
            return Err(format!("{pattern:?} must start with /"));
        }
        let (base, prefix) = match pattern.strip_suffix("/*") {
            Some(base) => (base, true),
            None => (pattern, false),
        };
        if base.contains('*') {
            return Err(format!("{pattern:?}: * may only be the last segment"));
        }
        match normalize(base) {
            Normalized::Path(base) => Ok(Pattern { base, prefix }),
            Normalized::Ambiguous => Err(format!("{pattern:?} is not a plain path")),
        }
    }

    /// Whether a normalised path falls under this pattern.
    pub fn matches(&self, path: &str) -> bool {
        if path == self.base {
            return true;
        }
        self.prefix
            && (self.base == "/" || path.strip_prefix(self.base.as_str()).is_some_and(|rest| rest.starts_with('/')))
    }
}

#[cfg(test)]
mod tests;
