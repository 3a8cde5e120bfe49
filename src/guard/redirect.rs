//! Where the guard sends a browser after sign-in (contract section 6; SECURITY G05–G07; RFC 9700
//! §4.11): only back to a path on the guarded origin, and always as an absolute URL built from
//! the configured origin, so no spelling of the stored path can become `//evil.example`
//! (protocol-relative) or `/\evil.example` in a browser's hands.

/// The `Location` for a stored return path: `origin` + the path when it is a plain same-origin
/// path, else `origin` + `/`. The path is only ever the one kept in the integrity-protected
/// transaction cookie (G07), never a request parameter.
pub fn return_location(origin: &str, stored: Option<&str>) -> String {
    let path = stored.filter(|p| is_plain_path(p)).unwrap_or("/");
    format!("{}{path}", origin.trim_end_matches('/'))
}

/// A path that every URL parser reads as the same path on the same origin: starts with one `/`,
/// has no backslash, whitespace or control character, no empty segment (`//`) and no dot
/// segment, literal or percent-encoded (`/.//evil.example` becomes `//evil.example` after
/// WHATWG resolution, G06).
fn is_plain_path(path: &str) -> bool {
    let (path_part, _query) = path.split_once('?').unwrap_or((path, ""));
    path.starts_with('/')
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\' && b != b'#')
        && !path_part.contains("//")
        && path_part.split('/').skip(1).all(|segment| {
            let lower = segment.to_ascii_lowercase().replace("%2e", ".");
            lower != "." && lower != ".."
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "https://app.example";

    #[test]
    fn g05_g06_open_redirect_attempts_fall_back_to_the_root() {
        for evil in [
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            " //evil.example",
            "\n//evil.example",
            "///evil.example",
            "\\/evil.example",
            "https://evil.example",
            "HTTPS://evil.example",
            "https://app.example@evil.example/",
            "https://app.example.evil.example/",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,x",
            "https://app.example:8443/x",
            "http://app.example/",
            "/.//evil.example",
            "/..//evil.example",
            "/%2e//evil.example",
            "/x/%2E%2E//evil",
            "",
        ] {
            assert_eq!(return_location(ORIGIN, Some(evil)), "https://app.example/", "{evil:?}");
        }
        assert_eq!(return_location(ORIGIN, None), "https://app.example/");
    }

    #[test]
    fn same_origin_paths_survive_as_absolute_urls() {
        for (path, want) in [
            ("/", "https://app.example/"),
            ("/account/email", "https://app.example/account/email"),
            ("/transfer?amount=10&to=bob", "https://app.example/transfer?amount=10&to=bob"),
            ("/a%20b/c.d", "https://app.example/a%20b/c.d"),
            ("/search?q=a//b", "https://app.example/search?q=a//b"),
        ] {
            assert_eq!(return_location("https://app.example/", Some(path)), want);
        }
    }
}
