//! The request target the guard judges and forwards (SECURITY G10, G11, G16–G18): any request
//! target, generated from pieces that parsers read differently, and rules built from arbitrary
//! patterns and from the target itself.
//!
//! - An accepted target is what `fetch()` sends: the WHATWG URL parser (the `url` crate, which
//!   implements the URL Standard) reads the raw target to exactly the serialisation the guard
//!   forwards, and reads that serialisation to itself again (the upstream receives it as is).
//! - What the upstream receives is judged the same: parsed again, it has the same key, so the
//!   same rule applies to both.
//! - Every other spelling of a guarded path that lenient origins route to the same resource
//!   (case, escapes, `;parameters`, trailing dots and whitespace, `.` and `x/..` detours,
//!   repeated slashes, backslashes) is refused or judged by the same rule.
//! - A rule guards its own path, and a prefix rule its base and what lies below it, not beside it.
#![no_main]
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use stepup::guard::path::Target;
use stepup::guard::rules::{Rule, Rules};

const ACR: [&str; 3] = ["LOA1", "LOA2", "LOA3"];
const AMR: [&str; 4] = ["pwd", "otp", "hwk", "mfa"];

/// Pieces of targets that parsers disagree on.
const PIECES: [&str; 40] = [
    "admin",
    "Admin",
    "public",
    "",
    ".",
    "..",
    "...",
    "..;",
    ".;x",
    ";x",
    "%2e",
    "%2E%2e",
    ".%2e",
    "..%20",
    "..%3b",
    "..%C2%A0",
    "%2f",
    "%5C",
    "\\",
    "%25",
    "%3F",
    "%23",
    "?",
    "#",
    "%20",
    " ",
    "\t",
    "adm%C4%B1n",
    "ı",
    "é",
    "%C3%A9",
    "a;b=c",
    "a.",
    "%zz",
    "%",
    "ｄ",
    "%7E",
    "{",
    "`",
    "x",
];

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

fn run(u: &mut Unstructured) -> Result<()> {
    let raw = if u.arbitrary()? {
        format!("/{}", u.arbitrary::<String>()?)
    } else {
        let mut raw = String::new();
        for _ in 0..u.int_in_range(1..=6)? {
            raw.push(*u.choose(&['/', '/', '/', '?', '#'])?);
            raw.push_str(u.choose(&PIECES)?);
        }
        raw
    };
    let patterns = rules(u, &raw)?;
    check_own_paths(&patterns);
    let rules = Rules(patterns.iter().map(|(rule, _)| rule.clone()).collect());
    let Ok(target) = Target::parse(&raw) else { return Ok(()) };
    check_forwarded(&raw, &target, &rules);

    // Spellings of the judged path: each is refused or judged by the same rule.
    let guard = rules.find(&target.key);
    for _ in 0..u.int_in_range(1..=4)? {
        let variant = spell(u, &target.key)?;
        let Ok(spelled) = Target::parse(&variant) else { continue };
        if let Some(rule) = &guard {
            assert_eq!(
                Some(rule),
                rules.find(&spelled.key).as_ref(),
                "{variant:?} escaped the rule for {:?}",
                target.key
            );
        }
        check_forwarded(&variant, &spelled, &rules);
    }
    Ok(())
}

/// What the guard forwards is what `fetch()` sends and what the upstream, parsing it again,
/// judges the same way.
fn check_forwarded(raw: &str, target: &Target, rules: &Rules) {
    let forwarded = target.path_and_query();
    assert_eq!(forwarded, whatwg(raw), "{raw:?} is judged as {forwarded:?} but fetch() sends another target");
    assert_eq!(whatwg(&forwarded), forwarded, "fetch() changes the forwarded {forwarded:?}");
    let received =
        Target::parse(&forwarded).unwrap_or_else(|e| panic!("the upstream's {forwarded:?} is refused: {e:?}"));
    assert_eq!(received, *target, "{raw:?}");
    assert_eq!(rules.find(&received.key), rules.find(&target.key));
}

/// The path and query the WHATWG URL parser reads from a target.
fn whatwg(raw: &str) -> String {
    let url = url::Url::parse(&format!("http://upstream.example{raw}")).expect("an accepted target parses");
    format!("{}{}", url.path(), url.query().map(|q| format!("?{q}")).unwrap_or_default())
}

/// Up to four rules with the pattern text each was parsed from; each pattern is arbitrary text
/// or is derived from the request path, so that rules do match. Refused patterns are left out.
fn rules(u: &mut Unstructured, raw: &str) -> Result<Vec<(Rule, String)>> {
    let mut out = Vec::new();
    for _ in 0..u.int_in_range(0..=4)? {
        let base = Target::parse(raw).map_or_else(|_| "/admin".to_string(), |t| t.path);
        let pattern = match u.int_in_range(0..=4)? {
            0 => u.arbitrary::<String>()?,
            1 => raw.to_string(),
            2 => format!("{}/*", base.trim_end_matches('/')),
            3 => match base.rsplit_once('/') {
                Some((parent, _)) => format!("{parent}/*"),
                None => "/*".to_string(),
            },
            _ => "/*".to_string(),
        };
        let mut rule = Map::new();
        rule.insert("path".into(), pattern.clone().into());
        if let Value::Object(need) = need(u, 0)? {
            rule.extend(need);
        }
        if u.arbitrary()? {
            rule.insert("api".into(), true.into());
        }
        let text = Value::Array(vec![Value::Object(rule)]).to_string();
        if let Ok(Rules(mut parsed)) = Rules::parse(&text, "STEPUP_RULES") {
            out.push((parsed.remove(0), pattern));
        }
    }
    Ok(out)
}

/// A requirement, or an allOf / anyOf of them (two levels at most).
fn need(u: &mut Unstructured, depth: u32) -> Result<Value> {
    Ok(match u.int_in_range(0..=if depth < 2 { 4 } else { 2 })? {
        0 => json!({"acr": subset(u, &ACR)?}),
        1 => json!({"maxAge": u.int_in_range(0..=600u64)?}),
        2 => json!({"amr": {"all": subset(u, &AMR)?}, "acr": [*u.choose(&ACR)?]}),
        op => {
            let parts = (0..u.int_in_range(1..=3)?).map(|_| need(u, depth + 1)).collect::<Result<Vec<_>>>()?;
            json!({ (if op == 3 { "allOf" } else { "anyOf" }): parts })
        }
    })
}

fn subset(u: &mut Unstructured, from: &[&str]) -> Result<Vec<String>> {
    let mut out: Vec<String> = from.iter().filter(|_| u.arbitrary().unwrap_or(false)).map(|s| s.to_string()).collect();
    if out.is_empty() {
        out.push(u.choose(from)?.to_string());
    }
    Ok(out)
}

/// A rule guards its own path; a prefix rule guards its base and everything below it, and
/// nothing beside it (`/admin/*` is not `/administrator`), unless written so (`/admin*` is).
fn check_own_paths(rules: &[(Rule, String)]) {
    for (rule, pattern) in rules {
        // `/*`: below; `*` after a name: what begins with it as a string; else exact.
        let (base, below, begins) = match (pattern.strip_suffix("/*"), pattern.strip_suffix('*')) {
            (Some(base), _) => (base, true, false),
            (None, Some(base)) => (base, true, true),
            (None, None) => (pattern.as_str(), false, false),
        };
        let base = Target::parse(if base.is_empty() { "/" } else { base }).expect("an accepted pattern").key;
        assert!(rule.pattern.matches(&base), "{pattern:?} does not guard {base:?}");
        let child = format!("{}/x", base.trim_end_matches('/'));
        assert_eq!(rule.pattern.matches(&child), below, "{pattern:?} and {child:?}");
        if base != "/" {
            let sibling = format!("{base}x");
            assert_eq!(rule.pattern.matches(&sibling), begins, "{pattern:?} and {sibling:?}");
        }
    }
}

/// Another spelling of the canonical path `q` that lenient origins route to the same resource.
fn spell(u: &mut Unstructured, q: &str) -> Result<String> {
    let mut out = String::new();
    let separator = |u: &mut Unstructured| -> Result<&'static str> { Ok(*u.choose(&["/", "\\", "//", "/./"])?) };
    for segment in q.split('/').filter(|s| !s.is_empty()) {
        out.push_str(separator(u)?);
        if u.ratio(1, 4)? {
            // A detour: a sibling segment and `..`.
            let detour = *u.choose(&["x", "..;", "a.b", "%41"])?;
            if detour == "..;" {
                out.push_str("x/..;/");
            } else {
                out.push_str(detour);
                out.push_str("/../");
            }
        }
        if u.ratio(1, 8)? {
            out.push_str(*u.choose(&[" ", "\t", "%20"])?);
        }
        for c in segment.chars() {
            match u.int_in_range(0..=3)? {
                0 if c.is_ascii_lowercase() => out.push(c.to_ascii_uppercase()),
                1 => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        if u.arbitrary()? {
                            out.push_str(&format!("%{b:02X}"));
                        } else {
                            out.push_str(&format!("%{b:02x}"));
                        }
                    }
                }
                _ => out.push(c),
            }
        }
        if u.ratio(1, 6)? {
            out.push(';');
            out.push_str(*u.choose(&["", "jsessionid=1", "x", "a=b.c"])?);
        }
        if u.ratio(1, 4)? {
            // What Windows and Spring drop at the end of a segment.
            for _ in 0..u.int_in_range(1..=3)? {
                out.push_str(*u.choose(&[".", " ", "%2e", "%20", "\t", "%09"])?);
            }
        }
    }
    if out.is_empty() || u.ratio(1, 4)? {
        out.push('/');
    }
    Ok(out)
}
