use serde_json::json;

use super::*;
use crate::acr::preset;
use crate::guard::path::{Target, MAX_SCRIPTS};

fn key(raw: &str) -> String {
    Target::parse(raw).unwrap().key
}

fn claims(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

const NOW: i64 = 1_700_000_000;

#[test]
fn first_matching_rule_wins_and_unmatched_paths_are_free() {
    let rules =
        Rules::parse(r#"[{"path":"/admin/*","acr":["2"]},{"path":"/*","maxAge":60,"api":true}]"#, "STEPUP_RULES")
            .unwrap();
    let admin = rules.find(&key("/ADMIN/x")).unwrap();
    assert!(!admin.api);
    assert!(matches!(admin.need, Need::One(ref r) if r.acr.is_some()));
    assert!(rules.find(&key("/other")).unwrap().api);
    let only_admin = Rules::parse(r#"[{"path":"/admin/*"}]"#, "R").unwrap();
    assert!(only_admin.find(&key("/public")).is_none());
}

#[test]
fn settings_errors_name_the_member() {
    let cases = [
        (r#"{"path":"/a"}"#, "R"),
        (r#"[{"acr":["1"]}]"#, "R[0].path"),
        (r#"[{"path":"/a/*/b"}]"#, "R[0].path"),
        (r#"[{"path":"/a","api":"yes"}]"#, "R[0].api"),
        (r#"[{"path":"/a","acr":[]}]"#, "R[0].acr"),
        (r#"[{"path":"/a","acr":["x", "urn:mfa "]}]"#, "R[0].acr[1]"),
        (r#"[{"path":"/a","max_age":5}]"#, "R[0].max_age"),
        (r#"[{"path":"/a","anyOf":[]}]"#, "R[0].anyOf"),
        (r#"[{"path":"/a","anyOf":[{"acr":"1"}],"maxAge":5}]"#, "R[0]"),
        (r#"[{"path":"/a","anyOf":[{"acr":"1"}],"allOf":[{"acr":"1"}]}]"#, "R[0]"),
        (r#"[{"path":"/a","anyOf":[{"allOf":[{"acr":[]}]}]}]"#, "R[0].anyOf[0].allOf[0].acr"),
        (r#"[{"path":"/a","anyOf":["1"]}]"#, "R[0].anyOf[0]"),
        (r#"[{"path":"/a"}] x"#, "R"),
    ];
    for (json, param) in cases {
        let err = Rules::parse(json, "R").unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE", "{json}");
        assert_eq!(err.param(), Some(param), "{json}: {err}");
    }
    // A requirement stated as null would otherwise make the rule ask for nothing but a session.
    for member in ["acr", "amr", "maxAge"] {
        let err = Rules::parse(&format!(r#"[{{"path":"/a","{member}":null}}]"#), "R").unwrap_err();
        assert_eq!(err.param().map(String::from), Some(format!("R[0].{member}")), "{err}");
    }
}

#[test]
fn any_of_holds_when_one_part_holds_and_asks_for_the_first() {
    let rules = Rules::parse(
        r#"[{"path":"/pay","anyOf":[{"acr":"phrh","maxAge":300},{"acr":"phr","amr":{"all":["hwk"]}}]}]"#,
        "R",
    )
    .unwrap();
    let need = &rules.0[0].need;
    let policy = preset("phr").unwrap();
    let hwk = claims(json!({"acr":"phr","amr":["hwk","pin"],"auth_time":NOW - 3600}));
    assert!(need.evaluate(&hwk, &policy, NOW, 30).satisfied);
    let weak = claims(json!({"acr":"phr","amr":["pwd"],"auth_time":NOW - 3600}));
    let d = need.evaluate(&weak, &policy, NOW, 30);
    assert!(!d.satisfied);
    assert_eq!(d.acr_values, Some(vec!["phrh".to_string()]));
    assert_eq!(d.max_age, Some(300));
}

#[test]
fn all_of_needs_every_part_and_asks_for_the_tightest_freshness() {
    let rules =
        Rules::parse(r#"[{"path":"/x","allOf":[{"acr":"2","maxAge":600},{"amr":{"any":["otp"]},"maxAge":120}]}]"#, "R")
            .unwrap();
    let need = &rules.0[0].need;
    let policy = AcrPolicy::default();
    let ok = claims(json!({"acr":"2","amr":["otp"],"auth_time":NOW - 60}));
    assert!(need.evaluate(&ok, &policy, NOW, 0).satisfied);
    let stale = claims(json!({"acr":"1","amr":["pwd"],"auth_time":NOW - 900}));
    let d = need.evaluate(&stale, &policy, NOW, 0);
    assert_eq!(d.reasons, vec![Reason::Acr, Reason::Amr, Reason::MaxAge]);
    assert_eq!(d.acr_values, Some(vec!["2".to_string()]));
    assert_eq!(d.max_age, Some(120));
}

#[test]
fn acr_values_are_listed_with_their_place() {
    let rules =
        Rules::parse(r#"[{"path":"/a","acr":["LOA2","LOA3"]},{"path":"/b","anyOf":[{"acr":"LOA3"}]}]"#, "R").unwrap();
    assert_eq!(
        rules.acr_values(),
        vec![
            ("[0].acr[0]".to_string(), "LOA2"),
            ("[0].acr[1]".to_string(), "LOA3"),
            ("[1].anyOf[0].acr[0]".to_string(), "LOA3")
        ]
    );
}

#[test]
fn g10_a_front_controller_path_falls_under_both_rules() {
    let rules =
        Rules::parse(r#"[{"path":"/index.php/*","maxAge":60},{"path":"/admin/*","acr":["2"],"api":true}]"#, "R")
            .unwrap();
    let rule = rules.find_target(&Target::parse("/index.php/admin/x").unwrap()).unwrap();
    assert!(rule.api);
    assert!(matches!(rule.need, Need::AllOf(ref parts) if parts.len() == 2));
    let only_admin = Rules::parse(r#"[{"path":"/admin/*","acr":["2"]}]"#, "R").unwrap();
    assert!(only_admin.find_target(&Target::parse("/index.php/admin/x").unwrap()).is_some());
    assert!(only_admin.find_target(&Target::parse("/index.php/public").unwrap()).is_none());
}

/// Found by the fourth outside attack: an exact rule such as the README's `/account/email`
/// guarded `/account/email.php` but not `/account/email.php/x`, which PHP, CGI and ASP.NET run as
/// the same script (with `PATH_INFO` `/x`).
#[test]
fn x10_an_exact_rule_guards_its_script_with_path_info_after_it() {
    let rules =
        Rules::parse(r#"[{"path":"/account/email","maxAge":300},{"path":"/cgi-bin/email.py","maxAge":300}]"#, "R")
            .unwrap();
    for raw in [
        "/account/email.php/x",
        "/account/email.php;x/y",
        "/account/email.cgi/x",
        "/account/email.aspx/x",
        "/account/email.asmx/x",
        "/account/email.php5/x",
        "/ACCOUNT/email.PHP/x/y",
        "/cgi-bin/email.py/x",
        "/cgi-bin//email.py/x",
    ] {
        let rule = rules.find_target(&Target::parse(raw).unwrap());
        assert!(matches!(rule, Some(Rule { need: Need::One(ref r), .. }) if r.max_age == Some(300)), "{raw}: {rule:?}");
    }
    // An exact rule is still no prefix (README, "Rules"): not below its path, not another script.
    for raw in ["/account/email/x", "/account/other.php/x", "/account/emails.php/x", "/account/email.pdf/x"] {
        assert!(rules.find_target(&Target::parse(raw).unwrap()).is_none(), "{raw}");
    }
    // Where an origin runs a script for an extensionless path, `/path/*` guards that too.
    let prefix = Rules::parse(r#"[{"path":"/account/email/*","maxAge":300}]"#, "R").unwrap();
    for raw in ["/account/email", "/account/email/x", "/account/email.php/x", "/account/email.php"] {
        assert!(prefix.find_target(&Target::parse(raw).unwrap()).is_some(), "{raw}");
    }
    // The script's rule and its PATH_INFO's both hold.
    let rules =
        Rules::parse(r#"[{"path":"/account/email","maxAge":300},{"path":"/admin/*","acr":["2"],"api":true}]"#, "R")
            .unwrap();
    let rule = rules.find_target(&Target::parse("/account/email.php/admin/x").unwrap()).unwrap();
    assert!(rule.api);
    assert!(matches!(rule.need, Need::AllOf(ref parts) if parts.len() == 2));
}

#[test]
fn x20_a_directory_index_page_is_guarded_by_its_directorys_rule() {
    let rules =
        Rules::parse(r#"[{"path": "/", "acr": ["LOA2"]}, {"path": "/account/email", "maxAge": 300}]"#, "STEPUP_RULES")
            .unwrap();
    for raw in ["/index.php", "/Default.aspx", "/account/email/index.php", "/account/email/index.html"] {
        assert!(rules.find_target(&Target::parse(raw).unwrap()).is_some(), "{raw}");
    }
    assert!(rules.find_target(&Target::parse("/account/other/index.html").unwrap()).is_none());
    // A PHP script's: Symfony finds its script's path anywhere, and routes what follows it (here,
    // nothing: the app's root) (the eleventh attack).
    assert!(rules.find_target(&Target::parse("/account/other/index.php").unwrap()).is_some());
}

#[test]
fn x20_a_front_controller_in_a_directory_is_guarded_by_the_rules_of_the_paths_it_routes() {
    let rules = Rules::parse(r#"[{"path": "/shop/admin/*", "acr": ["LOA3"]}]"#, "STEPUP_RULES").unwrap();
    for raw in ["/shop/admin/x", "/shop/index.php/admin/x", "/shop/app.php/admin/x"] {
        assert!(rules.find_target(&Target::parse(raw).unwrap()).is_some(), "{raw}");
    }
    assert!(rules.find_target(&Target::parse("/shop/index.php/cart").unwrap()).is_none());
}

#[test]
fn x22_a_scripts_name_with_text_glued_on_is_guarded_by_the_rules_of_the_path_it_routes() {
    let rules =
        Rules::parse(r#"[{"path":"/admin/*","acr":["LOA3"]},{"path":"/account/email","maxAge":300}]"#, "R").unwrap();
    for raw in [
        "/index.phpadmin/panel",
        "/INDEX.PHPadmin/panel",
        "/index.phpaccount/email",
        "/index.php5admin/x",
        "/index.ph%70admin/panel",
        // X29: a query routed as the path.
        "/?/admin/panel",
        "/index.php?/account/email",
    ] {
        assert!(rules.find_target(&Target::parse(raw).unwrap()).is_some(), "{raw}");
    }
    assert!(rules.find_target(&Target::parse("/index.phpcart").unwrap()).is_none());
}

/// Found by the eighth outside attack: a rule that matches only through a missing `/` or a string
/// prefix came first and, the first match winning, overruled the stronger rule written for the
/// path (`/api*` before `/api-keys/*`).
#[test]
fn x31_a_rule_that_matches_only_by_a_string_prefix_does_not_overrule_the_one_written_for_the_path() {
    let rules = Rules::parse(
        r#"[{"path":"/api*","acr":["LOA1"]},{"path":"/api-keys/*","acr":["LOA3"]},
            {"path":"/a/b/*","maxAge":60},{"path":"/ab/*","acr":["LOA3"]}]"#,
        "R",
    )
    .unwrap();
    for raw in ["/api-keys/new", "/ab/x"] {
        let rule = rules.find_target(&Target::parse(raw).unwrap()).unwrap();
        assert!(matches!(rule.need, Need::AllOf(ref parts) if parts.len() == 2), "{raw}: {rule:?}");
    }
    // The first rule alone where it is the one written for the path.
    assert!(matches!(rules.find("/api/x").unwrap().need, Need::One(_)));
}

/// Found by the eighth outside attack: Symfony's `Request`, with the app in a directory
/// (`/public/index.php`), routes `/index.php/abcdef/admin/panel` as `/admin/panel`.
#[test]
fn x32_a_path_that_names_a_php_script_is_judged_by_the_rules_of_each_of_its_endings() {
    let rules = Rules::parse(r#"[{"path":"/admin/*","acr":["LOA3"]}]"#, "R").unwrap();
    for raw in [
        "/index.php/abcdef/admin/panel",
        "/%69ndex.php/abcd/admin/panel",
        "/aaaaaindex.phpxx/admin/panel",
        "/shopindex.phpx/admin/panel",
    ] {
        assert!(rules.find_target(&Target::parse(raw).unwrap()).is_some(), "{raw}");
    }
    // Without a PHP script named, an ending is no key.
    assert!(rules.find_target(&Target::parse("/docs/abcdef/admin/panel").unwrap()).is_none());
}

/// Found by the ninth outside attack: nginx picks the longest prefix location, and the first
/// rule, matching as a string, overruled the longer one.
#[test]
fn x31_the_rule_with_the_longest_path_that_matches_holds_too() {
    let rules = Rules::parse(r#"[{"path":"/api*","acr":["LOA1"]},{"path":"/api-keys*","acr":["LOA3"]}]"#, "R").unwrap();
    for raw in ["/api-keys-rotate", "/api-keysrotate", "/api-keys_all"] {
        let rule = rules.find_target(&Target::parse(raw).unwrap()).unwrap();
        assert!(matches!(rule.need, Need::AllOf(ref parts) if parts.len() == 2), "{raw}: {rule:?}");
    }
}

/// Found by the tenth outside attack: Symfony's `Request` with the app in `/shop` cuts
/// `strlen("/shop/index.php")` bytes off a path that names `index.php` anywhere
/// (`/shopaindex.php/admin/panel` is `/admin/panel` to the app, `/shop/admin/panel` to the
/// rules), and CodeIgniter 4 in `/shop` strips `index.php` twice
/// (`/shop/index.php/index.php/admin/panel`): an ending is matched against each rule's path
/// with leading segments dropped too.
#[test]
fn x32_an_ending_is_matched_against_the_tails_of_each_rules_path() {
    let rules =
        Rules::parse(r#"[{"path":"/shop/admin/*","acr":["LOA3"]},{"path":"/shop/cart","maxAge":60}]"#, "R").unwrap();
    for raw in [
        "/shopaindex.php/admin/panel",
        "/shop-index.php/admin/panel",
        "/shop/index.php/index.php/admin/panel",
        "/x/index.php/cart",
    ] {
        assert!(rules.find_target(&Target::parse(raw).unwrap()).is_some(), "{raw}");
    }
    // Without a PHP script named, an ending is no key; the last segment of a rule is kept.
    for raw in ["/docs/admin/panel", "/x/index.php/shop", "/x/index.php/carts"] {
        assert!(rules.find_target(&Target::parse(raw).unwrap()).is_none(), "{raw}");
    }
}

/// The tenth outside attack's timing: a path naming a PHP script with thousands of segments
/// against 300 rules of 40 segments took 440 ms in the worker. Only the endings that begin at
/// one of the first `CUT_ENDINGS` segments are matched, so the work is bounded by the rules.
#[test]
fn x32_the_endings_matched_are_bounded() {
    let rules: Vec<String> =
        (0..300).map(|i| format!(r#"{{"path":"{}/r{i}/*","acr":["LOA3"]}}"#, "/a".repeat(40))).collect();
    let rules = Rules::parse(&format!("[{}]", rules.join(",")), "R").unwrap();
    let target = Target::parse(&format!("/x.php{}", "/a".repeat(4000))).unwrap();
    let start = std::time::Instant::now();
    assert!(rules.find_target(&target).is_none());
    // Natively, in a debug build: far below what matching every ending took.
    assert!(start.elapsed() < std::time::Duration::from_secs(5), "{:?}", start.elapsed());
    // An ending past the bound is not matched: the cut falls within an app's script path.
    let deep = Rules::parse(r#"[{"path":"/admin/*","acr":["LOA3"]}]"#, "R").unwrap();
    let far = format!("/x.php{}/admin/panel", "/a".repeat(CUT_ENDINGS));
    assert!(deep.find_target(&Target::parse(&far).unwrap()).is_none());
    let near = format!("/x.php{}/admin/panel", "/a".repeat(CUT_ENDINGS - 2));
    assert!(deep.find_target(&Target::parse(&near).unwrap()).is_some());
}

/// Found by the eleventh outside attack: Symfony's `Request` finds its own script's path anywhere
/// in the target (`strpos`), so a decoy script earlier in the path (`/x.php`) and the real one past
/// the 64 endings (`/public/index.php`) routed `/admin/panel`; CodeIgniter 4 reads `+` as a space
/// and trims spaces off the path it routes (`/+admin/panel` is `admin/panel`).
#[test]
fn x32_what_follows_any_php_script_and_a_path_read_with_plus_as_space_are_judged() {
    let rules =
        Rules::parse(r#"[{"path":"/admin/*","acr":["LOA3"]},{"path":"/shop/admin/*","acr":["LOA3"]}]"#, "R").unwrap();
    let deep = |pad: usize, rest: &str| format!("/x.php{}{rest}", "/a".repeat(pad));
    for raw in [
        deep(62, "/public/index.php/admin/panel"),
        deep(3000, "/public/index.php/admin/panel"),
        deep(70, "/shop/index.phpadmin/panel"),
        format!("/shopx.php{}/shop/index.php/admin/panel", "/a".repeat(70)),
        "/+admin/panel".into(),
        "/++admin/panel".into(),
        "/+/admin/panel".into(),
        "/%2Badmin/panel".into(),
        "/index.php/+admin/panel".into(),
        "/?/+admin/panel".into(),
        "/shop/+admin/panel".into(),
        "/shop/index.php/+admin/panel".into(),
    ] {
        assert!(rules.find_target(&Target::parse(&raw).unwrap()).is_some(), "{raw}");
    }
    // A `+` inside a name is no space at its edge.
    assert!(rules.find_target(&Target::parse("/tags/c++").unwrap()).is_none());
    // Read so, a segment the guard would refuse as a path, and one that trims to `.` or `..`,
    // which CodeIgniter keeps as a name, still have the reading's rules matched (the twelfth
    // attack: `/+admin/files/x.+` and `/+admin/files/x/+..+/pub` reached `admin/files/(:any)`),
    // and so does the query's path under the directory (the thirteenth: `/shop/?/+admin/panel`).
    for raw in [
        "/+admin/files/x/+++++++a~1",
        "/+admin/files/x.+",
        "/+admin/files/x/+..+/+..+/pub",
        "/%2Badmin/x/..%2B/pub",
        "/?/+admin/files/x.+",
        "/shop/?/+admin/panel",
        "/shop/?/%2Badmin/panel",
        "/shop/index.php?/+/admin/panel",
        "/shop/index.php/index.php?/+admin/panel",
        // A space beside the `+` (the fourteenth attack).
        "/+%20admin/panel",
        "/%2B%20%2Badmin/panel",
        "/+%20+/admin/panel",
        "/?/+%20admin/panel",
        "/shop/+%20admin/panel",
        "/shop/?/+%20admin/panel",
        // CodeIgniter 4 strips `index.php` twice, then reads `+` (the fifteenth attack).
        "/index.php/index.php/+admin/panel",
        "/index.php/index.php/%2Badmin/panel",
        "/ind%65x.php/index.php/+admin/users/bob",
        "/shop/index.php/index.php/+admin/panel",
        "/shop/index.php/index.php/+%20admin/users/bob",
    ] {
        assert!(rules.find_target(&Target::parse(raw).unwrap()).is_some(), "{raw}");
    }
    let exact = Rules::parse(r#"[{"path":"/admin/panel","acr":["LOA3"]}]"#, "R").unwrap();
    for raw in [
        "/admin/panel%20+",
        "/admin/panel%2B%20%2B",
        "/admin/panel/%2B%20%2B",
        "/index.php/index.php/admin/panel+",
        "/index.php/index.php/admin/panel%20+",
    ] {
        assert!(exact.find_target(&Target::parse(raw).unwrap()).is_some(), "{raw}");
    }
    // And a public URL with a `+` is forwarded as it came (the thirteenth attack's list).
    let long = format!("/x/{}", "a+".repeat(2000));
    for raw in ["/tags/etc.+", "/people/Smith+Jr.+", "/files/report~1+", long.as_str()] {
        assert!(rules.find_target(&Target::parse(raw).unwrap()).is_none(), "{raw}");
    }
    // No page names so many scripts.
    let many = "/a.php".repeat(MAX_SCRIPTS + 1);
    assert_eq!(Target::parse(&many), Err(crate::guard::path::Refusal::Scripts));
}
