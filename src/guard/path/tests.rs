use super::*;

/// The WHATWG URL parser (the `url` crate implements the URL Standard), as `fetch()` applies it.
fn whatwg(raw: &str) -> String {
    let url = url::Url::parse(&format!("http://upstream.example{raw}")).unwrap();
    format!("{}{}", url.path(), url.query().map(|q| format!("?{q}")).unwrap_or_default())
}

fn key(raw: &str) -> String {
    Target::parse(raw).unwrap_or_else(|e| panic!("{raw:?} refused: {e:?}")).key
}

/// Whether `raw` reaches the upstream under `/admin/*` unjudged: it must be refused or judged
/// under the rule.
fn escapes_admin(raw: &str) -> bool {
    let admin = Pattern::parse("/admin/*").unwrap();
    Target::parse(raw).is_ok_and(|t| !admin.matches(&t.key))
}

#[test]
fn g10_g11_every_spelling_an_origin_routes_to_admin_is_guarded_or_refused() {
    for path in [
        "/admin",
        "/admin/",
        "/ADMIN",
        "/Admin/x",
        "/admin/../admin",
        "/public/../admin",
        "/public/%2e%2e/admin",
        "/public/.%2e/admin",
        "/%2e/admin",
        "/./admin",
        "//admin",
        "/admin//x",
        "/%61dmin",
        "/adm%69n",
        "/admin%2f",
        "/public%2f..%2fadmin",
        "/admin;jsessionid=1",
        "/admin%00",
        "/admin%20",
        "/admin%09",
        "/admin.",
        "/admin..;/",
        "/public\\..\\admin",
        "/ad\nmin",
        "/%C0%AE%C0%AE/admin",
        "/public/%252e%252e/admin",
        "/public/..;/admin",
        "/ADMIN/secret",
        "/admin%zz",
        "/admin%",
        "/admin%e",
        "/admin%20.",
        "/admin .",
        "/admin\u{a0}.",
        "/ADMIN .;x/y",
    ] {
        assert!(!escapes_admin(path), "{path:?} escaped the guard: {:?}", Target::parse(path));
    }
}

/// The outside attack's findings (issue: the guard must forward exactly what it judged): each
/// judged path is the one `fetch()` sends, or the target is refused.
#[test]
fn g16_what_is_judged_is_what_is_forwarded() {
    for (raw, forwarded, judged) in [
        ("/admin//../panel", "/admin/panel", "/admin/panel"),
        ("/public//../admin/x", "/public/admin/x", "/public/admin/x"),
        ("/a/b/../../admin", "/admin", "/admin"),
        ("/a/./b/", "/a/b/", "/a/b"),
        ("/a/..", "/", "/"),
        ("/a/.", "/a/", "/a"),
        ("/../../a", "/a", "/a"),
        ("/Admin/../admin/panel?tab=2", "/admin/panel?tab=2", "/admin/panel"),
        ("/caf%C3%A9", "/caf%C3%A9", "/café"),
        ("/café", "/caf%C3%A9", "/café"),
        ("/a;x=1/b;y", "/a;x=1/b;y", "/a/b"),
        ("/%7euser", "/%7euser", "/~user"),
        ("/a{b}`c\"d<e>", "/a%7Bb%7D%60c%22d%3Ce%3E", "/a{b}`c\"d<e>"),
        ("/q?a='b'&c=\"d\"&e=é", "/q?a=%27b%27&c=%22d%22&e=%C3%A9", "/q"),
        ("/frag#x", "/frag", "/frag"),
        ("/x?", "/x?", "/x"),
        ("/", "/", "/"),
    ] {
        let target = Target::parse(raw).unwrap_or_else(|e| panic!("{raw:?} refused: {e:?}"));
        assert_eq!(target.path_and_query(), forwarded, "{raw:?}");
        assert_eq!(target.path_and_query(), whatwg(raw), "{raw:?} is not what fetch() sends");
        assert_eq!(target.key, judged, "{raw:?}");
    }
}

#[test]
fn g11_g17_g18_targets_whose_meaning_depends_on_the_parser_are_refused() {
    for (raw, why) in [
        ("/admin/..;/x", Refusal::Segment),
        ("/public/..;/admin", Refusal::Segment),
        ("/public/..%20/admin", Refusal::Segment),
        ("/public/..%3b/admin", Refusal::EncodedDelimiter),
        ("/public/..%3B/admin", Refusal::EncodedDelimiter),
        ("/public/..%C2%A0/admin", Refusal::Whitespace),
        ("/public/..\u{2003}/admin", Refusal::Whitespace),
        ("/public/..\u{3000}/admin", Refusal::Whitespace),
        ("/public/.../admin", Refusal::Segment),
        ("/admin%3f/x", Refusal::EncodedDelimiter),
        ("/admin%23/x", Refusal::EncodedDelimiter),
        ("/adm%C4%B1n", Refusal::CaseFolding),
        ("/admın", Refusal::CaseFolding),
        ("/\u{017F}ecret", Refusal::CaseFolding),
        ("/\u{212A}ey", Refusal::CaseFolding),
        ("/\u{FF41}dmin", Refusal::CaseFolding),
        ("/%EF%BD%81dmin", Refusal::CaseFolding),
        ("/weak/a%E2%80%8Bb", Refusal::Invisible),
        ("/%EF%BB%BFadmin", Refusal::Invisible),
        ("/\u{200B}admin", Refusal::Invisible),
        ("/admin%E2%80%AE", Refusal::Invisible),
        ("/ad%C2%ADmin", Refusal::Invisible),
        ("/a%2fb", Refusal::EncodedDelimiter),
        ("/a%5cb", Refusal::EncodedDelimiter),
        ("/a%25b", Refusal::EncodedDelimiter),
        ("/a%2eb", Refusal::EncodedDelimiter),
        ("/a%00", Refusal::EncodedDelimiter),
        ("/a%zz", Refusal::BadEscape),
        ("/a%", Refusal::BadEscape),
        ("/%FF", Refusal::BadEscape),
        ("/x%C0%AE", Refusal::BadEscape),
        ("/a\\b", Refusal::Backslash),
        ("/a\tb", Refusal::Control),
        ("/a b", Refusal::Control),
        ("/a?b c", Refusal::Control),
        ("/a\u{7f}", Refusal::Control),
        ("/admin.", Refusal::Segment),
        ("/admin%20", Refusal::Segment),
        ("/%20admin", Refusal::Segment),
        ("/;x/admin", Refusal::Segment),
        ("/.;x/admin", Refusal::Segment),
        ("*", Refusal::NotAPath),
        ("http://evil.example/admin", Refusal::NotAPath),
    ] {
        assert_eq!(Target::parse(raw), Err(why), "{raw:?}");
        assert_eq!(why.status(), 400);
    }
    let long = format!("/{}", "a".repeat(MAX_TARGET_LEN));
    assert_eq!(Target::parse(&long), Err(Refusal::TooLong));
    assert_eq!(Refusal::TooLong.status(), 414);
}

#[test]
fn plain_spellings_that_stay_allowed() {
    for raw in ["/a%20b/c", "/.well-known/openid-configuration", "/..foo", "/a.b/c.json", "/~user", "/é/ü", "/a%3Ab"]
    {
        assert_eq!(Target::parse(raw).map(|t| t.path_and_query()), Ok(whatwg(raw)), "{raw:?}");
    }
}

#[test]
fn split_url_splits_at_the_first_path_query_or_fragment() {
    assert_eq!(split_url("https://app.example/a/b?c#d"), ("https://app.example", "/a/b?c#d"));
    assert_eq!(split_url("https://app.example?x"), ("https://app.example", "?x"));
    assert_eq!(split_url("https://app.example"), ("https://app.example", "/"));
    assert_eq!(split_url("http://127.0.0.1:8787//x"), ("http://127.0.0.1:8787", "//x"));
}

#[test]
fn keys_fold_case_slashes_and_parameters() {
    assert_eq!(key("/A//B/"), "/a/b");
    assert_eq!(key("/CAFÉ"), "/café");
    assert_eq!(key("/a;p/b"), "/a/b");
}

#[test]
fn patterns() {
    let exact = Pattern::parse("/account/email").unwrap();
    assert!(exact.matches("/account/email"));
    assert!(!exact.matches("/account/email/x"));
    assert!(!exact.matches("/account"));
    let all = Pattern::parse("/*").unwrap();
    assert!(all.matches("/") && all.matches("/x/y"));
    let prefix = Pattern::parse("/API/Transfer/*").unwrap();
    assert!(prefix.matches("/api/transfer") && prefix.matches("/api/transfer/1"));
    assert!(!prefix.matches("/api/transfers"));
    // X28: `*` after a name: what begins with the path as a string (nginx's `location /api/transfer`).
    let begins = Pattern::parse("/API/Transfer*").unwrap();
    assert!(begins.matches("/api/transfer") && begins.matches("/api/transfers") && begins.matches("/api/transfer/1"));
    assert!(!begins.matches("/api/transfe") && !begins.matches("/api") && !begins.matches("/apix/transfer"));
    for bad in ["admin", "/*/x", "/a/*/*", "/a%2f/*", "/a?x", "/a.", "/adm\u{131}n/*"] {
        assert!(Pattern::parse(bad).is_err(), "{bad}");
    }
}

/// Every printable ASCII character and a few non-ASCII ones, alone in a segment and in the
/// query, serialise as the URL Standard's parser serialises them.
#[test]
fn g16_each_character_is_escaped_as_the_url_parser_escapes_it() {
    let mut checked = 0;
    for c in (0x21u8..0x7f).map(char::from).chain(['é', '☃', '😀']) {
        for raw in [format!("/a{c}b"), format!("/q?a{c}b")] {
            if let Ok(target) = Target::parse(&raw) {
                assert_eq!(target.path_and_query(), whatwg(&raw), "{raw:?}");
                checked += 1;
            }
        }
    }
    // Refused: `\` (path), `%` (a malformed escape) twice, `#` ends the path (fragment).
    assert!(checked >= 2 * 97 - 4, "{checked}");
}

/// Found by the outside attack: Rails' `(.:format)` and Spring's suffix patterns route
/// `/account/email.json` to `/account/email`, so a format suffix is folded into the key.
#[test]
fn g10_format_suffixes_are_judged_with_their_path() {
    let exact = Pattern::parse("/account/email").unwrap();
    let prefix = Pattern::parse("/admin/*").unwrap();
    for raw in ["/account/email.json", "/account/email.html", "/ACCOUNT/Email.xml", "/account/email.json;x"] {
        assert!(exact.matches(&key(raw)), "{raw}");
    }
    for raw in ["/admin.json", "/admin.html", "/ADMIN.xml", "/admin.do", "/admin.json/x", "/admin/panel.json"] {
        assert!(prefix.matches(&key(raw)), "{raw}");
    }
    assert_eq!(key("/.well-known/openid-configuration"), "/.well-known/openid-configuration");
    assert_eq!(key("/assets/app.min.js"), "/assets/app");
    assert!(!prefix.matches(&key("/administrator.json")));
    // X28: unless the rule says so.
    assert!(Pattern::parse("/admin*").unwrap().matches(&key("/administrator.json")));
}

/// Found by the outside attack: characters whose NFKC form holds ASCII (a router normalising
/// paths reads `/admin/x` in `/ⓐdmin/x`, and `..` in `‥`), and Windows best-fit slashes.
#[test]
fn g18_compatibility_characters_are_refused() {
    for raw in [
        "/%E2%93%90dmin/x",
        "/adm%E2%85%B0n/x",
        "/%C2%AApi/x",
        "/%E1%B5%83pi/transfers",
        "/account/%E1%B5%89mail",
        "/public/%E2%80%A5/admin/x",
        "/public/%EF%B8%B0/admin/x",
        "/public/%E2%80%A4%E2%80%A4/admin/x",
        "/a%CD%BEb",
        "/a%C2%B9",
        "/a%E2%88%95b",
        "/a%E2%81%84b",
        "/a%C2%A5b",
    ] {
        assert_eq!(Target::parse(raw), Err(Refusal::CaseFolding), "{raw}");
    }
    for raw in ["/caf%C3%A9", "/%C3%BCber", "/%E6%97%A5%E6%9C%AC", "/%D0%BF%D1%83%D1%82%D1%8C", "/%F0%9F%98%80"] {
        assert!(Target::parse(raw).is_ok(), "{raw}");
    }
}

/// Found by the `path` fuzz target: `..x` folded to the stem `.`, which no spelling can reach.
#[test]
fn g10_leading_dots_stay_in_the_key() {
    assert_eq!(key("/..x"), "/..x");
    assert_eq!(key("/..x.json"), "/..x");
    assert_eq!(key("/.a.b"), "/.a");
}

/// Found by the second outside attack: a front controller routes `/index.php/admin/x` by its
/// `PATH_INFO`, `/admin/x`.
#[test]
fn g10_path_info_after_a_script_is_a_second_key() {
    let t = Target::parse("/index.php/admin/x").unwrap();
    assert_eq!((t.key.as_str(), t.path_info.as_deref()), ("/index/admin/x", Some("/admin/x")));
    assert_eq!(Target::parse("/app.PHP/api/x").unwrap().path_info.as_deref(), Some("/api/x"));
    assert_eq!(Target::parse("/index.php").unwrap().path_info, None);
    assert_eq!(Target::parse("/a/report.pdf/x").unwrap().path_info, None);
}

/// The compact table is exactly the set of non-ASCII code points whose NFKC form holds ASCII.
#[test]
fn g18_the_nfkc_table_matches_unicode_normalization() {
    use unicode_normalization::UnicodeNormalization;
    for code in 0x80u32..=0x10FFFF {
        let Some(c) = char::from_u32(code) else { continue };
        let folds = std::iter::once(c).nfkc().any(|m| m.is_ascii());
        let listed = NFKC_TO_ASCII.binary_search_by(|&(first, last)| compare(first, last, code)).is_ok();
        assert_eq!(listed, folds, "U+{code:04X}");
    }
}

/// Found by the fourth outside attack: PHP (mod_php, php-fpm splitting the path), CGI and
/// ASP.NET run `/account/email.php/x` as the script `/account/email.php` with `PATH_INFO` `/x`,
/// so the key of the path up to the script is a third key.
#[test]
fn x10_the_script_before_path_info_is_a_third_key() {
    for (raw, script, path_info) in [
        ("/account/email.php/x", "/account/email", "/x"),
        ("/account/email.php;x/y", "/account/email", "/y"),
        ("/account/email.cgi/x", "/account/email", "/x"),
        ("/cgi-bin/email.py/x", "/cgi-bin/email", "/x"),
        ("/Account//Email.PHP5/x/y", "/account/email", "/x/y"),
        ("/account/email.php/", "/account/email", "/"),
        ("/svc/Orders.asmx/List", "/svc/orders", "/list"),
        ("/svc/orders.svc/list", "/svc/orders", "/list"),
        ("/h/upload.ashx/x", "/h/upload", "/x"),
        ("/tools/app.phar/x", "/tools/app", "/x"),
        ("/index.php/admin.php/x", "/index", "/admin/x"),
    ] {
        let t = Target::parse(raw).unwrap();
        assert_eq!((t.script.as_deref(), t.path_info.as_deref()), (Some(script), Some(path_info)), "{raw}");
    }
    // No path after a script, or no script: the key is the only one.
    for raw in ["/account/email.php", "/account/email", "/account/email/x", "/a/report.pdf/x", "/php/x"] {
        let t = Target::parse(raw).unwrap();
        assert_eq!((t.script, t.path_info), (None, None), "{raw}");
    }
}

#[test]
fn x20_windows_aliases_of_another_path_are_refused() {
    for raw in [
        "/(S(x))/admin/panel.aspx",
        "/adm/(S(x))in/panel.aspx",
        "/(A(abc))/x",
        "/%28F%28x%29%29/admin",
        "/account/SETTIN~1.PHP",
        "/account/settin~2.php/x",
        "/admin::$INDEX_ALLOCATION/x",
        "/admin.php::$DATA",
        "/admin:$i30:$INDEX_ALLOCATION/x",
        "/ADMINI~1/panel.aspx",
    ] {
        assert_eq!(Target::parse(raw), Err(Refusal::Windows), "{raw}");
    }
    // Parentheses, tildes and colons otherwise are ordinary characters.
    for raw in [
        "/wiki/Foo_(bar)",
        "/~alice/",
        "/a~b/c",
        "/f(1)(2)",
        "/a:b/c",
        "/x/(s)",
        "/schemas/a~1b",
        "/x/abcdefg~1",
        "/$x/a:b$",
    ] {
        assert!(Target::parse(raw).is_ok(), "{raw}");
    }
}

#[test]
fn x20_a_directory_index_page_is_a_key_of_its_directory() {
    for (raw, index) in [
        ("/index.php", "/"),
        ("/Default.aspx", "/"),
        ("/account/email/index.php", "/account/email"),
        ("/account/email/INDEX.html", "/account/email"),
        ("/account/email/index.php;x", "/account/email"),
        ("/account/email/index", "/account/email"),
        // The index page as a script with more path after it.
        ("/account/email/index.php/x", "/account/email"),
        ("/account/email/Default.aspx/x", "/account/email"),
        ("/index.php/admin/x", "/"),
        // Whatever the server's index names: Twisted's, Caddy's, Apache's type maps.
        ("/account/email/index.rpy", "/account/email"),
        ("/account/email/index.rpy/x", "/account/email"),
        ("/account/email/index.txt", "/account/email"),
        ("/account/email/index.html.en", "/account/email"),
    ] {
        assert_eq!(Target::parse(raw).unwrap().index.as_deref(), Some(index), "{raw}");
    }
    // Assets of that name are no page a directory is answered with.
    for raw in [
        "/account/index/x",
        "/indexes.php",
        "/my-index.php",
        "/",
        "/index.js",
        "/default.css",
        "/Index.json",
        "/index.js.map",
    ] {
        assert_eq!(Target::parse(raw).unwrap().index, None, "{raw}");
    }
}

#[test]
fn x20_more_scripts_run_with_path_info() {
    for raw in [
        "/account/email.wsgi/x",
        "/elmah.axd/download",
        "/a.cfml/x",
        "/a.cfc/x",
        "/a.pht/x",
        "/cgi-bin/email.sh/x",
        "/settings.epy/x",
        "/index.rpy/admin/x",
    ] {
        assert!(Target::parse(raw).unwrap().script.is_some(), "{raw}");
    }
}

#[test]
fn x20_the_path_without_its_script_is_a_key_of_a_front_controller_in_a_directory() {
    for (raw, routed) in [
        ("/shop/index.php/admin/x", "/shop/admin/x"),
        ("/shop/app.php/admin/x", "/shop/admin/x"),
        ("/index.php/admin/x", "/admin/x"),
        ("/a/b/run.cgi/c;p/d", "/a/b/c/d"),
    ] {
        assert_eq!(Target::parse(raw).unwrap().routed.as_deref(), Some(routed), "{raw}");
    }
    for raw in ["/shop/admin/x", "/shop/index.php"] {
        assert_eq!(Target::parse(raw).unwrap().routed, None, "{raw}");
    }
}

/// Found by the sixth outside attack: CodeIgniter 3 (shown behind nginx and php-fpm), Yii and
/// Slim cut the front controller's path off the start of the target as a string, so
/// `/index.phpadmin/panel` runs `/index.php` and routes `admin/panel`.
#[test]
fn x22_a_scripts_name_with_text_glued_on_is_also_read_as_the_script_with_more_path() {
    for (raw, keys) in [
        ("/index.phpadmin/panel", &["/index", "/admin/panel", "/"][..]),
        ("/INDEX.PHPadmin/panel", &["/index", "/admin/panel", "/"]),
        ("/index.phpaccount/email", &["/index", "/account/email", "/"]),
        ("/shop/index.phpadmin/x", &["/shop/index", "/admin/x", "/shop/admin/x", "/shop"]),
        ("/app.phpadmin", &["/app", "/admin"]),
        // Decoded first, as Yii decodes before it cuts (the seventh attack).
        ("/index.ph%70admin/panel", &["/index", "/admin/panel", "/"]),
        ("/index.%70hpadmin/panel", &["/index", "/admin/panel", "/"]),
        // Each script extension the name may end with.
        ("/index.php5admin/x", &["/index", "/5admin/x", "/", "/admin/x"]),
        // A segment with a longer extension or another name only adds keys.
        ("/page.aspx", &["/page", "/x"]),
    ] {
        assert_eq!(Target::parse(raw).unwrap().readings, keys, "{raw}");
    }
    // The script with more path, found before the glued one, keeps its own keys.
    let t = Target::parse("/a.phpx/b.php/c").unwrap();
    assert_eq!((t.script.as_deref(), t.path_info.as_deref()), (Some("/a/b"), Some("/c")));
    assert_eq!(t.readings, ["/a", "/x/b/c"]);
    // However many dots, one reading per extension at the first: a bounded cost.
    let many = format!("/{}admin", "a.php".repeat(1500));
    assert!(Target::parse(&many).unwrap().readings.len() <= 4);
    // No script's name with more after it: nothing glued.
    for raw in ["/index.php", "/index.php/admin", "/admin/panel", "/report.pdf", "/.php", "/a/.phpx"] {
        assert_eq!(Target::parse(raw).unwrap().readings, Vec::<String>::new(), "{raw}");
    }
}

/// Found by the sixth outside attack: `//evil/admin/x` was judged as `/evil/admin/x`, while
/// Java's `URI` and `new URL(target, base)` read `evil` as a host and route `/admin/x`.
#[test]
fn x23_a_path_that_begins_with_two_slashes_is_refused() {
    for raw in ["//evil/admin/x", "//x/account/email", "///admin/x", "/.//admin/x", "/./..//admin", "//"] {
        assert_eq!(Target::parse(raw), Err(Refusal::NetworkPath), "{raw}");
    }
    // Empty segments after the first are no host to anyone.
    for raw in ["/account//email", "/a//b", "/a/", "/"] {
        assert!(Target::parse(raw).is_ok(), "{raw}");
    }
}

/// Found by the seventh outside attack: routers that cut paths as strings, not at a `/`. The
/// JDK's `HttpServer` (context `/admin`) and nginx's `location /admin` answer `/adminpanel`; a
/// front controller in `/shop` (CodeIgniter 3, Yii 2) routes `/shopadmin/panel` as `admin/panel`.
#[test]
fn x28_a_pattern_matches_what_routers_that_cut_strings_read_as_its_path() {
    let admin = Pattern::parse("/admin*").unwrap();
    let shop = Pattern::parse("/shop/admin/*").unwrap();
    let exact = Pattern::parse("/shop/account/email").unwrap();
    for (pattern, key) in [
        (&admin, "/adminpanel"),
        (&admin, "/admin-users/x"),
        (&shop, "/shopadmin/panel"),
        (&exact, "/shopaccount/email"),
        (&exact, "/shopaccountemail"),
        (&exact, "/shop/accountemail"),
    ] {
        assert!(pattern.matches(key), "{key}");
    }
    // `/*` is what lies below, not what begins alike: `/api/*` leaves `/api-docs` public.
    let below = Pattern::parse("/admin/*").unwrap();
    for (pattern, key) in [
        (&below, "/adminpanel"),
        (&below, "/admin-users/x"),
        (&admin, "/admi"),
        (&admin, "/x/admin"),
        (&shop, "/shopping/admin"),
        (&shop, "/shop"),
        (&shop, "/shopadminx"),
        (&shop, "/shop/adminpanel"),
        (&exact, "/shopaccount/emails"),
        (&exact, "/shop/account/email/x"),
        (&exact, "/shop/account"),
    ] {
        assert!(!pattern.matches(key), "{key}");
    }
}

/// Found by the seventh outside attack: CodeIgniter 3 routes a query that begins with `/` as the
/// path when the path names no more than its front controller, by default (`/?/admin/panel`).
#[test]
fn x29_a_query_that_begins_with_a_slash_is_read_as_a_path_too() {
    for (raw, reading) in [
        ("/?/admin/panel", "/admin/panel"),
        ("/index.php?/admin/panel", "/admin/panel"),
        ("/shop/?/Admin/Panel.html", "/admin/panel"),
        ("/?/admin/panel?x=1", "/admin/panel"),
        ("/?/admin/panel&x=1", "/admin/panel"),
        ("/?/index.phpadmin/x", "/admin/x"),
        // Under the path's directory too, as CodeIgniter in `/shop` routes it (the ninth attack).
        ("/shop/?/admin/panel", "/shop/admin/panel"),
        ("/shop/index.php?/admin/panel", "/shop/admin/panel"),
        ("/shop/index.php/?/admin/panel", "/shop/admin/panel"),
    ] {
        let t = Target::parse(raw).unwrap();
        assert!(t.readings.iter().any(|k| k == reading), "{raw}: {:?}", t.readings);
        // Forwarded as it came.
        assert_eq!(t.path_and_query(), whatwg(raw), "{raw}");
    }
    // Refused as its path would be.
    for raw in ["/?//evil/admin", "/?/admin%2fx", "/?/(S(x))/admin"] {
        assert!(Target::parse(raw).is_err(), "{raw}");
    }
    // CodeIgniter drops `.` and `..` where the URL Standard resolves them (the eighth attack).
    for raw in ["/?/admin/panel/../..", "/index.php?/account/email/..", "/?/./admin", "/?/admin/x/../../.."] {
        assert_eq!(Target::parse(raw), Err(Refusal::QueryDots), "{raw}");
    }
    // CodeIgniter 4 cuts the query's path at `?` only, then resolves dot segments, so one after
    // an `&` counts too (`/?/public&/../admin/panel` is `/admin/panel`: the tenth attack).
    for raw in ["/?/public&/../admin/panel", "/index.php?/p&/../admin/panel", "/shop/?/&/./admin/x"] {
        assert_eq!(Target::parse(raw), Err(Refusal::QueryDots), "{raw}");
    }
    // CodeIgniter 4 in `/shop` strips its script, then `index.php` once more (the tenth attack).
    let t = Target::parse("/shop/index.php/index.php/?/admin/panel").unwrap();
    assert!(t.readings.iter().any(|k| k == "/shop/admin/panel"), "{:?}", t.readings);
    // Any other query is no path.
    for raw in ["/?a=/admin", "/search?q=x", "/?"] {
        assert_eq!(Target::parse(raw).unwrap().readings, Vec::<String>::new(), "{raw}");
    }
}

/// Found by the eighth outside attack: Symfony's `Request` (and so Laravel), when the path names
/// its script anywhere, routes the path after as many bytes as its script's path has.
#[test]
fn x32_a_path_that_names_a_php_script_anywhere_is_cut_anywhere() {
    for raw in
        ["/index.php/abcdef/admin/panel", "/%69ndex.php/abcd/admin/panel", "/aaaaaindex.phpxx/admin/panel", "/a/b.PHP5"]
    {
        assert!(Target::parse(raw).unwrap().cut_anywhere, "{raw}");
    }
    for raw in ["/admin/panel", "/docs/php/intro", "/a.ph", "/"] {
        assert!(!Target::parse(raw).unwrap().cut_anywhere, "{raw}");
    }
}
