//! The guard's whole answer to a request (src/guard/judge.rs): any URL and headers against
//! rules with a session cookie that may or may not be valid. Never a panic; a forwarded request
//! goes to the upstream at exactly the judged target, carries no incoming identity header in any
//! spelling and none of the guard's cookies; a guarded forward always has a valid session's
//! identity. A callback's response gives a code only for the sign-in under way, else a page that
//! ends that sign-in and never redirects.
#![no_main]
use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use stepup::guard::config::Config;
use stepup::guard::flow::{is_guard_cookie, is_identity_header};
use stepup::guard::judge::{callback_code, judge, Action, Request};
use stepup::guard::path::{split_url, Target};
use stepup::guard::session::{session_cookie, Transaction};

const NOW: u64 = 1_700_000_000;

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let env: BTreeMap<String, String> = [
            ("STEPUP_ISSUER", "https://idp.example"),
            ("STEPUP_CLIENT_ID", "edge"),
            ("STEPUP_SESSION_SECRET", "0123456789abcdef0123456789abcdef"),
            ("STEPUP_ACR_POLICY", "wso2"),
            ("STEPUP_UPSTREAM", "http://app.internal"),
            ("STEPUP_LOGOUT_PATH", "/logout"),
            ("STEPUP_RULES", r#"[{"path":"/admin/*","acr":["LOA2"]},{"path":"/weak/*"},{"path":"/api/*","api":true}]"#),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Config::from_env(&env).expect("a valid configuration")
    })
}

fn session(acr: &str) -> String {
    let claims = serde_json::json!({"sub":"bob","acr":acr,"auth_time":NOW - 5});
    let set = session_cookie(config(), claims.as_object().expect("an object"), NOW).expect("a session");
    set.split(';').next().unwrap_or_default().to_string()
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

fn run(u: &mut Unstructured) -> Result<()> {
    let path: String = u.arbitrary()?;
    let url = format!("http://edge.example/{}", path.trim_start_matches('/'));
    let mut headers: Vec<(String, String)> = Vec::new();
    for _ in 0..u.int_in_range(0..=4)? {
        let name = u.choose(&[
            "x-stepup-sub",
            "x_stepup_acr",
            "X-StepUp.Amr",
            "accept",
            "authorization",
            "cookie",
            "origin",
            "sec-fetch-site",
            "x",
        ])?;
        let value = match *name {
            "cookie" => match u.int_in_range(0..=3)? {
                0 => format!("a=1, {}", session("LOA1")),
                1 => format!("{}; b=2", session("LOA2")),
                2 => "__host-stepup-session=forged".to_string(),
                _ => u.arbitrary()?,
            },
            "accept" => "text/html".to_string(),
            _ => u.arbitrary()?,
        };
        headers.push((name.to_string(), value));
    }
    let method = *u.choose(&["GET", "POST", "HEAD", "OPTIONS"])?;
    let Ok(action) = judge(config(), &Request { method, url: &url, headers: &headers }, NOW) else {
        return Ok(());
    };
    if let Action::Callback { .. } = &action {
        let transaction = Transaction {
            state: "S".into(),
            nonce: "N".into(),
            verifier: "V".into(),
            return_to: "/admin/x".into(),
            max_age: None,
            created: NOW,
        };
        let request = Request { method, url: &url, headers: &headers };
        match callback_code(config(), &transaction, &request, u.arbitrary()?) {
            Ok(code) => {
                let query = url.split('#').next().unwrap_or_default().split_once('?').map_or("", |(_, q)| q);
                let pairs = stepup::url::parse_query(query).expect("an accepted response's query parses");
                assert!(!code.is_empty() && pairs.iter().any(|(n, v)| n == "state" && v == "S"));
                assert!(pairs.iter().any(|(n, v)| n == "code" && *v == code), "the code is the response's own");
            }
            Err(page) => {
                assert!(matches!(page.status, 400 | 403));
                assert!(!page.headers.iter().any(|(n, _)| n == "location"));
                assert!(page.headers.iter().any(|(n, v)| n == "set-cookie" && *v == transaction.clear()));
            }
        }
    }
    if let Action::SignOut { .. } = &action {
        // Only a POST that says it comes from this origin, and says nothing else, signs out.
        let said = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        assert_eq!(method, "POST");
        assert!(said("origin").is_some() || said("sec-fetch-site").is_some());
        assert!(said("origin").is_none_or(|o| o.eq_ignore_ascii_case("http://edge.example")));
        assert!(said("sec-fetch-site").is_none_or(|s| s == "same-origin"));
    }
    if let Action::Forward(plan) = action {
        let target = Target::parse(split_url(&url).1).expect("a forwarded target parses");
        assert_eq!(plan.url, format!("http://app.internal{}", target.path_and_query()));
        for (name, _) in headers.iter().filter(|(n, _)| is_identity_header(n)) {
            assert!(plan.remove.contains(name), "{name} reaches the upstream");
        }
        for (name, value) in &plan.set {
            if name == "cookie" {
                assert!(!value.split([';', ',']).any(|p| is_guard_cookie(p.split('=').next().unwrap_or_default())));
            }
        }
        if plan.guarded {
            assert!(plan.set.iter().any(|(n, v)| n == "x-stepup-sub" && v == "bob"), "{url}");
        } else {
            assert!(!plan.set.iter().any(|(n, _)| n.starts_with("x-stepup-")));
        }
    }
    Ok(())
}
