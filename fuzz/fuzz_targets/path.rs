//! Path normalisation and rule matching (SECURITY G10, G11): any request path, and rules built
//! from arbitrary patterns and from the path itself.
//!
//! - A canonical path is a fixed point: normalising it again gives it back, so an origin that
//!   folds the path once more (decoding, trimming, lower-casing) reaches the same resource.
//! - Every other spelling of a canonical path an origin routes to the same resource (case,
//!   percent escapes, `;parameters`, trailing dots and whitespace, `.` and `x/..` segments,
//!   repeated slashes, backslashes) normalises to that path or is Ambiguous; either way a guarded
//!   path stays guarded, by the same rule or by all of them.
//! - A rule guards its own path, and a prefix rule exactly its base and what lies below it.
//! - An Ambiguous path is judged by every rule: all needs at once, an API if any rule is one.
#![no_main]
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use stepup::acr::preset;
use stepup::guard::path::{normalize, Normalized};
use stepup::guard::rules::{Need, Rule, Rules};

/// The wso2 preset's ladder values (LOA1 < LOA2 < LOA3).
const ACR: [&str; 3] = ["LOA1", "LOA2", "LOA3"];
const AMR: [&str; 4] = ["pwd", "otp", "hwk", "mfa"];
const NOW: i64 = 1_700_000_000;

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

fn run(u: &mut Unstructured) -> Result<()> {
    let raw: String = u.arbitrary()?;
    let normalized = normalize(&raw);
    if let Normalized::Path(q) = &normalized {
        check_canonical(q);
    }

    let patterns = rules(u, &raw)?;
    let rules = Rules(patterns.iter().map(|(rule, _)| rule.clone()).collect());
    check_own_paths(&patterns);
    check_ambiguous(u, &rules)?;

    // Spellings of the canonical path: each is that path or Ambiguous, and guarded alike.
    let Normalized::Path(q) = normalized else { return Ok(()) };
    let guard = rules.find(&Normalized::Path(q.clone()));
    for _ in 0..u.int_in_range(1..=4)? {
        let variant = spell(u, &q)?;
        let n = normalize(&variant);
        if let Normalized::Path(p) = &n {
            assert_eq!(p, &q, "{variant:?} is a spelling of {q:?}");
        }
        match (&guard, rules.find(&n), &n) {
            (None, _, _) => {}
            (Some(_), None, _) => panic!("{variant:?} escaped the rule guarding {q:?}"),
            (Some(g), Some(f), Normalized::Path(_)) => assert_eq!(g, &f),
            (Some(g), Some(f), Normalized::Ambiguous) => {
                let Need::AllOf(parts) = &f.need else { panic!("ambiguous need is not allOf") };
                assert!(parts.contains(&g.need), "ambiguous {variant:?} skipped the rule guarding {q:?}");
                assert!(f.api || !g.api);
            }
        }
    }
    Ok(())
}

/// The shape the module documents: lower case, `/`-separated, no empty, `.` or `..` segments,
/// no trailing slash; nothing an origin could still fold; and normalising again changes nothing.
fn check_canonical(q: &str) {
    assert!(q.starts_with('/'), "{q:?}");
    assert!(q == "/" || !q.ends_with('/'), "{q:?}");
    assert!(!q.contains(['\\', ';', '%']) && !q.bytes().any(|b| b.is_ascii_control()), "{q:?}");
    for segment in q.split('/').skip(1).filter(|_| q != "/") {
        assert!(!matches!(segment, "" | "." | ".."), "{q:?}");
        assert_eq!(segment, segment.trim(), "{q:?}");
        assert!(!segment.ends_with('.'), "{q:?}");
        assert!(!segment.bytes().any(|b| b.is_ascii_uppercase()), "{q:?}");
    }
    assert_eq!(normalize(q), Normalized::Path(q.to_string()), "canonical {q:?} is not a fixed point");
}

/// Up to four rules with the pattern text each was parsed from; each pattern is arbitrary text
/// or is derived from the request path, so that rules do match. Refused patterns are left out.
fn rules(u: &mut Unstructured, raw: &str) -> Result<Vec<(Rule, String)>> {
    let mut out = Vec::new();
    for _ in 0..u.int_in_range(0..=4)? {
        let base = match normalize(raw) {
            Normalized::Path(q) => q,
            Normalized::Ambiguous => "/admin".to_string(),
        };
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
/// nothing else (`/admin/*` is not `/administrator`).
fn check_own_paths(rules: &[(Rule, String)]) {
    for (rule, pattern) in rules {
        let (base, prefix) = match pattern.strip_suffix("/*") {
            Some(base) => (base, true),
            None => (pattern.as_str(), false),
        };
        let Normalized::Path(base) = normalize(base) else { panic!("{pattern:?} was accepted") };
        assert!(rule.pattern.matches(&base), "{pattern:?} does not guard {base:?}");
        let child = format!("{}/x", base.trim_end_matches('/'));
        assert_eq!(rule.pattern.matches(&child), prefix, "{pattern:?} and {child:?}");
        if base != "/" {
            let sibling = format!("{base}x");
            assert!(!rule.pattern.matches(&sibling), "{pattern:?} guards {sibling:?}");
        }
    }
}

/// An Ambiguous path falls under every rule: all their needs, in order; an API if any rule is.
/// Judged against claims, the combined need holds exactly when every rule's need holds.
fn check_ambiguous(u: &mut Unstructured, all: &Rules) -> Result<()> {
    let Some(rule) = all.find(&Normalized::Ambiguous) else {
        assert!(all.0.is_empty(), "an ambiguous path escaped {} rules", all.0.len());
        return Ok(());
    };
    let needs: Vec<Need> = all.0.iter().map(|r| r.need.clone()).collect();
    assert_eq!(rule.need, Need::AllOf(needs));
    assert_eq!(rule.api, all.0.iter().any(|r| r.api));

    let mut claims = Map::new();
    if u.arbitrary()? {
        claims.insert("acr".into(), (*u.choose(&ACR)?).into());
    }
    if u.arbitrary()? {
        claims.insert("amr".into(), subset(u, &AMR)?.into());
    }
    if u.arbitrary()? {
        claims.insert("auth_time".into(), (NOW - u.int_in_range(-5..=900i64)?).into());
    }
    let policy = preset("wso2").expect("a preset");
    let combined = rule.need.evaluate(&claims, &policy, NOW, 0);
    let each = all.0.iter().all(|r| r.need.evaluate(&claims, &policy, NOW, 0).satisfied);
    assert_eq!(combined.satisfied, each, "{claims:?}");
    assert!(combined.satisfied || !combined.reasons.is_empty());
    Ok(())
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
