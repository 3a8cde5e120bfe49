//! The guard's configuration from the environment: each setting absent, a good value, a good
//! value bent, or arbitrary text (the rules and the ACR policy included).
//!
//! - A refusal names a setting (`STEPUP_…`), and one that is set, or a required one that is not.
//! - What is accepted holds what the module promises: the issuer as given, a plain redirect
//!   path, bare origins, durations within their ranges, the rules as `Rules::parse` reads them.
//! - Surrounding whitespace never changes the outcome.
#![no_main]
use std::collections::BTreeMap;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use stepup::guard::config::Config;
use stepup::guard::rules::Rules;

/// Each setting with values it accepts.
const SETTINGS: &[(&str, &[&str])] = &[
    ("STEPUP_ISSUER", &["https://idp.example", "http://localhost:3000/realms/x", "https://idp.example/"]),
    ("STEPUP_CLIENT_ID", &["edge", "stepup-edge"]),
    ("STEPUP_CLIENT_SECRET", &["s3cret"]),
    ("STEPUP_REDIRECT_PATH", &["/callback", "/auth/cb"]),
    ("STEPUP_SESSION_SECRET", &["0123456789abcdef0123456789abcdef", "a-much-longer-secret-of-more-than-32-bytes!"]),
    ("STEPUP_UPSTREAM", &["http://127.0.0.1:3000", "https://App.Internal/", "http://[::1]:8080"]),
    ("STEPUP_PUBLIC_ORIGIN", &["https://app.example", "http://localhost:8787/"]),
    ("STEPUP_ACR_POLICY", &["wso2", "fief", "auth0", "janssen", r#"{"ladder":["a",["b","c"]]}"#]),
    ("STEPUP_RULES", &["[]", r#"[{"path":"/admin/*","acr":["LOA3"]},{"path":"/api/*","maxAge":300,"api":true}]"#]),
    ("STEPUP_API_AUDIENCE", &["https://api.example"]),
    ("STEPUP_SESSION_MAX_AGE", &["60", "28800", "2592000"]),
    ("STEPUP_KEYS_MAX_AGE", &["60", "600", "86400"]),
    ("STEPUP_KEYS_COOLDOWN", &["1", "30", "3600"]),
];
const REQUIRED: [&str; 4] = ["STEPUP_ISSUER", "STEPUP_CLIENT_ID", "STEPUP_SESSION_SECRET", "STEPUP_RULES"];

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

fn run(u: &mut Unstructured) -> Result<()> {
    let mut env = BTreeMap::new();
    for (name, good) in SETTINGS {
        let value = match u.int_in_range(0..=15)? {
            0 => continue,
            1 => {
                // A good value bent: cut, extended or with one character replaced.
                let mut v = u.choose(good)?.to_string();
                match u.int_in_range(0..=2)? {
                    0 => v.truncate(u.choose_index(v.len())?),
                    1 => v.push(u.arbitrary()?),
                    _ => {
                        let i = u.choose_index(v.len())?;
                        if v.is_char_boundary(i) && v.is_char_boundary(i + 1) {
                            v.replace_range(i..i + 1, &u.arbitrary::<char>()?.to_string());
                        }
                    }
                }
                v
            }
            2 => u.arbitrary::<String>()?,
            _ => u.choose(good)?.to_string(),
        };
        env.insert(name.to_string(), value);
    }
    let config = Config::from_env(&env);

    // Padded with whitespace, every setting reads the same.
    let padded: BTreeMap<String, String> = env.iter().map(|(k, v)| (k.clone(), format!(" \t{v}\n "))).collect();
    assert_eq!(format!("{config:?}"), format!("{:?}", Config::from_env(&padded)));

    let read = |name: &str| env.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let config = match config {
        Err(e) => {
            let param = e.param().unwrap_or_else(|| panic!("{e} names no setting"));
            let setting = param.split(['[', '.']).next().unwrap_or_default();
            assert!(SETTINGS.iter().any(|(name, _)| *name == setting), "{param} is not a setting: {e}");
            assert!(read(setting).is_some() || REQUIRED.contains(&setting), "{param} is not set: {e}");
            return Ok(());
        }
        Ok(config) => config,
    };
    assert_eq!(Some(config.issuer.as_str()), read("STEPUP_ISSUER"));
    assert!(!config.issuer.contains(['?', '#']));
    assert_eq!(Some(config.client_id.as_str()), read("STEPUP_CLIENT_ID"));
    assert_eq!(config.client_secret.as_deref(), read("STEPUP_CLIENT_SECRET"));
    assert_eq!(config.api_audience.as_deref(), read("STEPUP_API_AUDIENCE"));
    let path = &config.redirect_path;
    assert!(path.starts_with('/') && !path.starts_with("//") && !path.contains(['?', '#', '\\']), "{path:?}");
    for (origin, setting) in [(&config.upstream, "STEPUP_UPSTREAM"), (&config.public_origin, "STEPUP_PUBLIC_ORIGIN")] {
        assert_eq!(origin.is_some(), read(setting).is_some());
        let Some(origin) = origin else { continue };
        let (scheme, host) = origin.split_once("://").expect("scheme://host");
        assert!(matches!(scheme, "http" | "https"), "{origin}");
        assert!(!host.is_empty() && !host.contains(['/', '?', '#', '@']), "{origin}");
        assert_eq!(host, host.to_ascii_lowercase(), "{origin}");
    }
    assert!((60..=30 * 86400).contains(&config.session_max_age));
    assert!((60.0..=86400.0).contains(&config.refresh.max_age));
    assert!((1.0..=3600.0).contains(&config.refresh.cooldown));
    let rules = Rules::parse(read("STEPUP_RULES").expect("required"), "STEPUP_RULES").expect("parsed once");
    assert_eq!(config.rules, rules);
    Ok(())
}
