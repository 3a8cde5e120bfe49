//! The request target the guard judges and forwards (contract section 6; SECURITY G10, G11, G16–G18;
//! README, "One request target").
//!
//! The guard reads a request's target once, the way the WHATWG URL parser inside the forwarding
//! `fetch()` reads it (URL Standard, path state: `.` and `..` segments resolved, code points
//! outside the path percent-encode set escaped), judges that path, and forwards exactly that
//! serialisation: the upstream receives the path that was judged, byte for byte. Before this, the
//! guard resolved `/admin//../panel` its own way (`/panel`, no rule) while `fetch()` sent
//! `/admin/panel`.
//!
//! Origins still read one path in different ways: Express matches case-insensitively, nginx
//! merges slashes, servlet containers drop `;parameters` and read `..;` as `..`, IIS drops
//! trailing dots and spaces, CGI-era servers decode escapes once more. So rules are matched
//! against a [`Target::key`] that folds the readings that cannot hide a different resource
//! (escapes decoded, lower case, empty segments and `;parameters` dropped), and a target whose
//! meaning depends on who parses it is refused with `400` ([`Refusal`]) rather than guessed:
//! an encoded `/`, `\`, `.`, `?`, `#`, `;` or `%`; a `\`; a control character or whitespace
//! outside an escape; a segment with leading or trailing whitespace or trailing dots (`..;`,
//! `..%20`, `admin.`, `...`); non-ASCII whitespace; a character whose case mapping is ASCII
//! (`ı`, `ſ`, the Kelvin sign) or that compatibility-normalises to ASCII (full-width forms); an
//! invisible character (zero-width space, byte-order mark, bidirectional controls).

use std::borrow::Cow;

/// The longest request target the guard reads (path and query); browsers and servers commonly
/// stop at 8 KiB.
pub const MAX_TARGET_LEN: usize = 8192;

/// Why a request target is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Longer than [`MAX_TARGET_LEN`] (answered with `414`).
    TooLong,
    /// Not a path starting with `/` (an absolute-form or `*` target).
    NotAPath,
    /// A control character, space or DEL outside an escape: parsers drop, trim or keep them.
    Control,
    /// `\`: the URL parser reads it as `/`, many servers as a character.
    Backslash,
    /// A `%` not followed by two hex digits, or escapes that are not UTF-8.
    BadEscape,
    /// An escape that decodes to `/`, `\`, `.`, `?`, `#`, `;`, `%` or a control character: a
    /// server that decodes before routing reads another path.
    EncodedDelimiter,
    /// Whitespace or dots at the edge of a segment, or `;parameters` on an empty or dot segment
    /// (`..;`, `..%20`, `admin.`, `...`): servers trim them, and some then read `..`.
    Segment,
    /// Non-ASCII whitespace.
    Whitespace,
    /// A character that case folding or compatibility normalisation turns into ASCII.
    CaseFolding,
    /// An invisible character (zero-width, byte-order mark, bidirectional control, soft hyphen):
    /// servers that strip it read another path than the one written.
    Invisible,
    /// A segment Windows servers read as another path: ASP.NET's cookieless-session segments
    /// (`(S(…))`, `(A(…))`, `(F(…))`, `(X(…))`, removed before routing), an 8.3 short name
    /// (`SETTIN~1.PHP` for `settings.php`), an NTFS stream (`admin::$INDEX_ALLOCATION`).
    Windows,
    /// A path that begins with `//` as forwarded (`//evil/admin/x`, or `/.//admin/x`, which the
    /// URL parser serialises so): servers that read the target as a URI reference (Java's
    /// `URI`, `new URL(target, base)`) take its first segment for a host (RFC 3986 §4.2).
    NetworkPath,
    /// A query that begins with `/` (read as a path, [`Target::readings`]) holding a `.` or `..`
    /// segment: CodeIgniter 3 drops them where the URL Standard resolves them.
    QueryDots,
    /// A path with more than [`MAX_SCRIPTS`] segments that name a PHP script: each is matched
    /// ([`Target::after_scripts`]), and no page names so many.
    Scripts,
}

impl Refusal {
    /// The HTTP status of the refusal.
    pub fn status(self) -> u16 {
        if self == Refusal::TooLong {
            414
        } else {
            400
        }
    }

    /// What is wrong, for the page (no request data is echoed).
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::TooLong => "The address is too long.",
            Refusal::NotAPath => "The request target is not a path.",
            Refusal::Control => "The address contains a control character or a space.",
            Refusal::Backslash => "The address contains a backslash.",
            Refusal::BadEscape => "The address contains a malformed percent escape.",
            Refusal::EncodedDelimiter => {
                "The address contains an encoded /, \\, ., ?, #, ; or % that servers read in different ways."
            }
            Refusal::Segment => {
                "A path segment has leading or trailing spaces or dots, or parameters on a dot segment."
            }
            Refusal::Whitespace => "The address contains non-ASCII whitespace.",
            Refusal::CaseFolding => "The address contains a character that case folding turns into another one.",
            Refusal::Invisible => "The address contains an invisible character.",
            Refusal::Windows => "A path segment names another path on Windows servers.",
            Refusal::NetworkPath => "The address begins with //, which servers may read as a host name.",
            Refusal::Scripts => "The address names too many scripts.",
            Refusal::QueryDots => {
                "The query begins with / and holds a . or .. segment, which servers read in different ways."
            }
        }
    }
}

/// A request target as the forwarding `fetch()` will send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The path, serialised as the WHATWG URL parser serialises it: what the upstream receives.
    pub path: String,
    /// `?` and the serialised query, or empty when the target has no `?`.
    pub query: String,
    /// What rules are matched against: `/`-joined segments, percent-decoded, lower case, without
    /// `;parameters` or empty segments (the root is `/`).
    pub key: String,
    /// The key of the path up to and including the first script, when more path follows it
    /// (`/account/email.php/x` → `/account/email`): PHP (mod_php, php-fpm splitting the path),
    /// CGI and ASP.NET run that script with the rest as `PATH_INFO`, so the rules of the
    /// script's own path are matched against it too.
    pub script: Option<String>,
    /// The key of the path after a front controller (`/index.php/admin/x` → `/admin/x`): CGI
    /// servers pass it to the script as `PATH_INFO`, and Symfony, Laravel and CodeIgniter route
    /// on it, so rules are matched against it too.
    pub path_info: Option<String>,
    /// The key of the path without its script (`/shop/index.php/admin/x` → `/shop/admin/x`): a
    /// front controller in a directory routes its `PATH_INFO` under that directory, so
    /// `/shop/admin/x` and `/shop/index.php/admin/x` are one resource.
    pub routed: Option<String>,
    /// The key of the directory whose index page the path names (`/account/email/index.php` →
    /// `/account/email`, `/Default.aspx` → `/`): servers answer the directory with that page, so
    /// the directory's rules are matched against it too.
    pub index: Option<String>,
    /// The keys of other readings of the target that servers route by: the path with a
    /// script's name that has more text glued on split off (`/index.phpadmin/x` read as
    /// `/index.php/admin/x`: that reading's `script`, `path_info`, `routed` and `index` keys), and
    /// a query that begins with `/` read as a path (`/?/admin/x` as `/admin/x`), also under the
    /// path's directory (`/shop/?/admin/x` as `/shop/admin/x`).
    pub readings: Vec<String>,
    /// Whether the path names a PHP script anywhere (decoded, glued on or not): Symfony's `Request`, and so Laravel, then routes the path after as many bytes
    /// as its own script's path has (`/index.php/abcdef/admin/x` as `/admin/x` for
    /// `/public/index.php`), wherever that falls, so every ending of the key that begins at a `/`
    /// is matched too ([`super::rules::Rules::find_target`]).
    pub cut_anywhere: bool,
    /// The keys of what follows each segment that names a PHP script, wherever it stands (and
    /// after the script's name, when text is glued on): Symfony's `Request` finds its own
    /// script's path anywhere in the target and routes what follows it
    /// (`/x.php/a/…/public/index.php/admin/x` as `/admin/x`), so these are matched as the
    /// endings are ([`super::rules::Rules::find_target`]). At most [`MAX_SCRIPTS`] such segments.
    pub after_scripts: Vec<String>,
}

/// How many segments of a target may name a PHP script: a page names one; more is refused
/// ([`Refusal::Scripts`]), which bounds the keys [`Target::after_scripts`] holds.
pub const MAX_SCRIPTS: usize = 8;

impl Target {
    /// Reads a request target (path and query; a fragment is dropped, as `fetch()` drops it).
    pub fn parse(raw: &str) -> Result<Target, Refusal> {
        if raw.len() > MAX_TARGET_LEN {
            return Err(Refusal::TooLong);
        }
        let raw = raw.split('#').next().unwrap_or_default();
        if raw.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(Refusal::Control);
        }
        let (path, query) = match raw.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (raw, None),
        };
        let Some(path) = path.strip_prefix('/') else { return Err(Refusal::NotAPath) };
        if path.contains('\\') {
            return Err(Refusal::Backslash);
        }
        // URL Standard, path state: a `..` segment removes the last one, `.` nothing, and either
        // at the end leaves an empty last segment (a trailing slash).
        let mut segments: Vec<Cow<'_, str>> = Vec::new();
        let mut raw_segments = path.split('/').peekable();
        while let Some(segment) = raw_segments.next() {
            let last = raw_segments.peek().is_none();
            check_segment(segment)?;
            match segment {
                "." | ".." => {
                    if segment == ".." {
                        segments.pop();
                    }
                    if last {
                        segments.push(Cow::Borrowed(""));
                    }
                }
                segment => segments.push(escape(segment, PATH_SET)),
            }
        }
        let key = key_of(&segments);
        let mut serialised = String::with_capacity(path.len() + 1);
        for segment in &segments {
            serialised.push('/');
            serialised.push_str(segment);
        }
        if segments.is_empty() {
            serialised.push('/');
        }
        if serialised.starts_with("//") {
            return Err(Refusal::NetworkPath);
        }
        // The first script with more path after it: what a server runs, and the `PATH_INFO` it
        // hands that script.
        let split = segments.iter().position(|s| is_script(s)).filter(|&i| i + 1 < segments.len());
        let [script, path_info, routed, index] = script_keys(&segments, split);
        // A script's name with more text glued on (`/index.phpadmin/x`) is read as the script
        // with more path too: CodeIgniter, Yii and Slim take `PATH_INFO` by cutting the script's
        // path off the start of the target as a string, so the front controller `/index.php`
        // routes `/index.phpadmin/x` as `/admin/x`; Yii decodes first (`/index.ph%70admin/x`), so
        // the segments are read decoded (escapes of delimiters and `%` are refused, so decoding
        // twice reads the same).
        let mut readings = Vec::new();
        let decoded: Vec<Cow<'_, str>> = segments.iter().map(|s| decode(s).unwrap_or_default()).collect();
        // What follows each segment that names a PHP script ([`Target::after_scripts`]).
        let php_segments: Vec<usize> =
            (0..decoded.len()).filter(|&i| decoded.get(i).is_some_and(|s| names_php(s))).collect();
        if php_segments.len() > MAX_SCRIPTS {
            return Err(Refusal::Scripts);
        }
        let mut after_scripts = Vec::new();
        for &i in &php_segments {
            let rest: Vec<&str> = decoded.get(i + 1..).unwrap_or_default().iter().map(AsRef::as_ref).collect();
            push_new(&mut after_scripts, [key_of(&rest)]);
            // With more text glued on after the script's name (`index.phpadmin`).
            let segment = decoded.get(i).map_or("", AsRef::as_ref);
            for end in php_ends(segment) {
                let tail = segment.get(end..).unwrap_or_default();
                push_new(
                    &mut after_scripts,
                    [key_of(&[tail].into_iter().chain(rest.iter().copied()).collect::<Vec<_>>())],
                );
            }
        }
        if let Some((i, ends)) = decoded.iter().map(|s| glued_script(s)).enumerate().find(|(_, ends)| !ends.is_empty())
        {
            for end in ends {
                let mut cut: Vec<&str> = decoded.iter().map(AsRef::as_ref).collect();
                let (name, rest) = cut.get(i).and_then(|s| s.split_at_checked(end)).unwrap_or_default();
                cut.splice(i..=i, [name, rest]);
                push_new(&mut readings, script_keys(&cut, Some(i)).into_iter().flatten());
            }
        }
        let query = query.map_or_else(String::new, |q| {
            let mut out = String::with_capacity(q.len() + 1);
            out.push('?');
            out.push_str(&escape(q, QUERY_SET));
            out
        });
        // A query that begins with `/` is the path CodeIgniter routes, by default, when the path
        // names no more than its front controller (`/?/admin/x`, `/index.php?/admin/x`): it is
        // judged as a path too, as forwarded, up to its own `?` (CodeIgniter 3 and 4 cut there;
        // and up to its first `&`, as a query parameter's name), and refused as one would be. A
        // `.` or `..` segment anywhere before that `?` is refused: CodeIgniter 4 resolves them
        // (`/?/public&/../admin/x` is `/admin/x`), CodeIgniter 3 drops them.
        if let Some(routed_query) = query.strip_prefix('?').filter(|q| q.starts_with('/')) {
            let routed_query = routed_query.split('?').next().unwrap_or_default();
            if routed_query.split('/').any(|s| s == "." || s == "..") {
                return Err(Refusal::QueryDots);
            }
            let as_name = routed_query.split('&').next().unwrap_or_default();
            // Routed by a front controller in the path's directory too (`/shop/?/admin/x` is
            // `/shop/admin/x` to CodeIgniter in `/shop`): under the path, with the scripts and
            // index pages it ends in dropped (CodeIgniter 4 strips its script, then its
            // `index.php` again: `/shop/index.php/index.php/?/admin/x`).
            let mut directory: Vec<&str> = segments.iter().map(AsRef::as_ref).filter(|s| !s.is_empty()).collect();
            while directory.last().is_some_and(|s| is_script(s) || is_index(s)) {
                directory.pop();
            }
            for routed_query in if as_name == routed_query { vec![routed_query] } else { vec![routed_query, as_name] } {
                let as_path = Target::parse(routed_query)?;
                let under_segments: Vec<&str> =
                    directory.iter().copied().chain(routed_query.split('/').filter(|s| !s.is_empty())).collect();
                let under = (!directory.is_empty()).then(|| key_of(&under_segments));
                // Read with `+` as a space too, as CodeIgniter 4 in the directory routes it
                // (`/shop/?/+admin/x`: the thirteenth attack).
                if !directory.is_empty() {
                    let (plus, plus_after) = plus_keys(&under_segments);
                    push_new(&mut readings, plus);
                    push_new(&mut after_scripts, plus_after);
                }
                push_new(
                    &mut readings,
                    [Some(as_path.key), as_path.script, as_path.path_info, as_path.routed, as_path.index, under]
                        .into_iter()
                        .flatten(),
                );
                push_new(&mut readings, as_path.readings);
            }
        }
        // CodeIgniter 4 decodes the path with `urldecode`, which reads `+` as a space, and trims
        // spaces off the path it routes (`/+admin/panel` is `admin/panel`): that reading is judged
        // too ([`plus_keys`]).
        let (plus, plus_after) = plus_keys(&segments);
        push_new(&mut readings, plus);
        push_new(&mut after_scripts, plus_after);
        let cut_anywhere = !php_segments.is_empty();
        Ok(Target {
            path: serialised,
            query,
            key,
            script,
            path_info,
            routed,
            index,
            readings,
            cut_anywhere,
            after_scripts,
        })
    }

    /// The path and query, as forwarded.
    pub fn path_and_query(&self) -> String {
        let mut out = String::with_capacity(self.path.len() + self.query.len());
        out.push_str(&self.path);
        out.push_str(&self.query);
        out
    }
}

/// Whether a (checked, serialised) segment names a script a server runs with the rest of the
/// path as `PATH_INFO`: PHP (and the older `.php3`…`.php8` and `.pht` handlers, PHP archives),
/// CGI (`.cgi`, `.fcgi`, Perl, Python, Ruby, shell, Windows executables and batch files), WSGI,
/// ASP (and IIS's other names for it, `.asa`, `.cer`, `.cdx`) and ASP.NET pages, web services
/// (`.asmx`, WCF's `.svc` and `.xamlx`, remoting's `.rem` and `.soap`), handlers (`.ashx`,
/// `.axd`), JSP, ColdFusion (`.cfm`, `.cfml`, `.cfc`), ISAPI, Domino (`.nsf`), Twisted's resource
/// scripts (`.rpy`, `.epy`).
fn is_script(segment: &str) -> bool {
    let decoded = decode(segment).unwrap_or_default();
    let base = decoded.split(';').next().unwrap_or_default().as_bytes();
    // ASCII case-insensitively, as the extensions are ASCII.
    SCRIPTS.iter().any(|ext| {
        base.len() > ext.len()
            && base.get(base.len() - ext.len()..).is_some_and(|end| end.eq_ignore_ascii_case(ext.as_bytes()))
    })
}

/// Where the name of a script may end in a (checked, serialised) segment that holds more text
/// after it (`index.phpadmin` → after `index.php`; `index.php5admin` → after `index.php` and
/// after `index.php5`; `INDEX.PHPadmin` too, as Slim compares without case): after each script
/// extension that follows a name and is not at the segment's end, at the first dot that begins
/// one. Such a segment is
/// also read as that script with the rest as more path ([`Target::parse`]); a longer extension
/// or another name (`page.aspx`, `report.shtml`) only adds keys, so rules are matched more, not
/// less.
fn glued_script(segment: &str) -> Vec<usize> {
    let bytes = segment.split(';').next().unwrap_or_default().as_bytes();
    // At the first dot that begins one (the name of a real script seldom holds another), each
    // script extension that may end there: a bounded number of readings, however many dots.
    (1..bytes.len())
        .filter(|&dot| bytes.get(dot) == Some(&b'.'))
        .map(|dot| {
            let mut ends: Vec<usize> = SCRIPTS
                .iter()
                .map(|ext| dot + ext.len())
                .zip(SCRIPTS)
                .filter(|&(end, ext)| {
                    end < bytes.len() && bytes.get(dot..end).is_some_and(|e| e.eq_ignore_ascii_case(ext.as_bytes()))
                })
                .map(|(end, _)| end)
                .collect();
            ends.dedup();
            ends
        })
        .find(|ends| !ends.is_empty())
        .unwrap_or_default()
}

/// PHP's script extensions, as servers hand them to PHP.
const PHP: [&str; 11] =
    [".php", ".php3", ".php4", ".php5", ".php6", ".php7", ".php8", ".pht", ".phtml", ".phar", ".phps"];

/// Where the first PHP extension in a decoded segment begins, and the extensions that begin
/// there (ASCII case-insensitively), if any.
fn first_php(segment: &str) -> Option<(usize, impl Iterator<Item = &'static str> + '_)> {
    let bytes = segment.as_bytes();
    let at =
        move |i: usize, ext: &str| bytes.get(i..i + ext.len()).is_some_and(|e| e.eq_ignore_ascii_case(ext.as_bytes()));
    let first = (0..bytes.len()).find(|&i| PHP.iter().any(|ext| at(i, ext)))?;
    Some((first, PHP.iter().copied().filter(move |ext| at(first, ext))))
}

/// Whether a decoded segment names a PHP script ([`Target::cut_anywhere`]).
fn names_php(segment: &str) -> bool {
    first_php(segment).is_some()
}

/// Where the name of a PHP script ends in a decoded segment that holds more text after it
/// (`index.phpadmin` → after `index.php`), at each PHP extension that begins at the first one
/// (a script's name seldom holds another): a bounded number of ends.
fn php_ends(segment: &str) -> Vec<usize> {
    let Some((first, exts)) = first_php(segment) else { return Vec::new() };
    let mut ends: Vec<usize> = exts.map(|ext| first + ext.len()).filter(|&end| end < segment.len()).collect();
    ends.sort_unstable();
    ends.dedup();
    ends
}

/// The keys of (checked, serialised) segments as CodeIgniter 4 routes them when they hold a `+`
/// (or `%2B`, which it decodes twice): `+` is a space, and spaces at the ends of the path it
/// routes are trimmed (`/+admin/panel` is `admin/panel`, and so is `/+%20admin/panel`: the
/// fourteenth attack). Each segment is trimmed of them and of `%20`, as the
/// directory the app is installed in cannot be told, and dot segments are kept as CodeIgniter
/// keeps them (it resolves them before it reads `+`): the reading's key and the keys a script
/// in it adds ([`script_keys`]), and the keys of what follows each segment of it that names a
/// PHP script ([`Target::after_scripts`]: CodeIgniter 4 strips `index.php` twice,
/// `/index.php/index.php/+admin/panel`, the fifteenth attack); none when no segment holds a
/// `+`. Only keys: nothing in them is refused, so a reading the guard would refuse as a path
/// still has its rules matched.
fn plus_keys<S: AsRef<str>>(segments: &[S]) -> (Vec<String>, Vec<String>) {
    fn trim_plus(mut segment: &str) -> &str {
        loop {
            let before = segment.len();
            for plus in ["+", "%2B", "%2b", "%20"] {
                segment = segment.strip_prefix(plus).unwrap_or(segment);
                segment = segment.strip_suffix(plus).unwrap_or(segment);
            }
            if segment.len() == before {
                return segment;
            }
        }
    }
    let has_plus = |s: &str| s.contains('+') || s.contains("%2B") || s.contains("%2b");
    if !segments.iter().any(|s| has_plus(s.as_ref())) {
        return (Vec::new(), Vec::new());
    }
    let trimmed: Vec<&str> = segments.iter().map(|s| trim_plus(s.as_ref())).filter(|s| !s.is_empty()).collect();
    let split = trimmed.iter().position(|s| is_script(s)).filter(|&i| i + 1 < trimmed.len());
    let [script, path_info, routed, index] = script_keys(&trimmed, split);
    let keys = [Some(key_of(&trimmed)), script, path_info, routed, index].into_iter().flatten().collect();
    let after = (0..trimmed.len())
        .filter(|&i| trimmed.get(i).is_some_and(|s| names_php(&decode(s).unwrap_or_default())))
        .map(|i| key_of(trimmed.get(i + 1..).unwrap_or_default()))
        .collect();
    (keys, after)
}

/// Adds the keys not there yet.
fn push_new(keys: &mut Vec<String>, more: impl IntoIterator<Item = String>) {
    for key in more {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
}

/// The keys a script with more path after it (`split`, its index) and an index page add to a
/// target's own: `[script, path_info, routed, index]` ([`Target`]).
fn script_keys<S: AsRef<str>>(segments: &[S], split: Option<usize>) -> [Option<String>; 4] {
    let script = split.and_then(|i| segments.get(..=i)).map(key_of);
    let path_info = split.and_then(|i| segments.get(i + 1..)).map(key_of);
    let routed = split.map(|i| {
        let mut kept: Vec<&str> = segments.iter().map(AsRef::as_ref).collect();
        kept.remove(i);
        key_of(&kept)
    });
    // The index page is the last segment, or the script that runs with more path after it
    // (`/account/email/index.php/x`).
    let page = split.unwrap_or(segments.len().saturating_sub(1));
    let index = segments.get(page).filter(|s| is_index(s.as_ref())).and_then(|_| segments.get(..page)).map(key_of);
    [script, path_info, routed, index]
}

/// The extensions of [`is_script`].
const SCRIPTS: [&str; 41] = [
    ".php", ".php3", ".php4", ".php5", ".php6", ".php7", ".php8", ".pht", ".phtml", ".phar", ".cgi", ".fcgi", ".pl",
    ".plx", ".py", ".rb", ".sh", ".exe", ".bat", ".cmd", ".wsgi", ".asp", ".asa", ".cer", ".cdx", ".aspx", ".asmx",
    ".ashx", ".axd", ".svc", ".xamlx", ".rem", ".soap", ".jsp", ".cfm", ".cfml", ".cfc", ".dll", ".nsf", ".rpy",
    ".epy",
];

/// Whether a (checked, serialised) segment names a directory's index page: `index` or `default`
/// with any extension or none (Apache's `MultiViews` and ASP.NET's friendly URLs find the file),
/// in any case (`index.php`, `index.html.en`, `index.rpy`, `index.txt`, `Default.aspx`, `index`):
/// the names Apache's `DirectoryIndex`, nginx's `index`, Caddy's, Twisted's and IIS's default
/// documents use, whose extensions vary with the server. Only what no server answers a directory
/// with is left out: a script, style, data or font asset of that name (`/index.js`,
/// `/default.css`, `/index.js.map`, by its last extension).
fn is_index(segment: &str) -> bool {
    const ASSETS: [&str; 19] = [
        "js", "mjs", "cjs", "css", "map", "json", "wasm", "png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "ico",
        "woff", "woff2", "ttf", "otf",
    ];
    let decoded = decode(segment).unwrap_or_default();
    let base = decoded.split(';').next().unwrap_or_default();
    let stem = base.split('.').next().unwrap_or_default();
    let last = base.rsplit_once('.').map(|(_, e)| e);
    ["index", "default"].iter().any(|n| stem.eq_ignore_ascii_case(n))
        && last.is_none_or(|e| !ASSETS.iter().any(|a| e.eq_ignore_ascii_case(a)))
}

/// Splits an absolute request URL (what a runtime's `request.url` holds) into its origin and
/// its target.
pub fn split_url(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end =
        url.get(after_scheme..).and_then(|rest| rest.find(['/', '?', '#'])).map_or(url.len(), |i| after_scheme + i);
    let (origin, target) = url.split_at_checked(end).unwrap_or((url, ""));
    (origin, if target.is_empty() { "/" } else { target })
}

/// ASCII the URL Standard's path percent-encode set escapes (besides controls and space, which
/// are refused before). `^` joined the set lately: parsers from before keep it, and since every
/// parser keeps an escape as it is, escaping it makes the forwarded target read the same in all.
const PATH_SET: &[u8] = b"\"#<>?^`{}";
/// The special-query percent-encode set.
const QUERY_SET: &[u8] = b"\"#<>'";

/// Escapes what the URL parser would: the ASCII in `set` and every non-ASCII character, as
/// upper-case UTF-8 escapes; existing escapes are kept as they are. Most targets need none: they
/// are returned as they are, without a copy.
fn escape<'a>(text: &'a str, set: &[u8]) -> Cow<'a, str> {
    crate::url::escape_bytes(text, |b| b.is_ascii() && !set.contains(&b))
}

/// Refuses a raw segment that servers could read as something else (see [`Refusal`]).
fn check_segment(raw: &str) -> Result<(), Refusal> {
    let decoded = decode(raw)?;
    for c in decoded.chars().filter(|c| !c.is_ascii()) {
        if c.is_whitespace() {
            return Err(Refusal::Whitespace);
        }
        if folds_to_ascii(c) {
            return Err(Refusal::CaseFolding);
        }
        if invisible(c) {
            return Err(Refusal::Invisible);
        }
    }
    if raw == "." || raw == ".." {
        return Ok(());
    }
    let (base, parameters) = match decoded.split_once(';') {
        Some((base, _)) => (base, true),
        None => (decoded.as_ref(), false),
    };
    if parameters && base.bytes().all(|b| b == b'.') {
        return Err(Refusal::Segment);
    }
    if base.starts_with(char::is_whitespace) || base.ends_with(|c: char| c.is_whitespace() || c == '.') {
        return Err(Refusal::Segment);
    }
    if windows_alias(&decoded) {
        return Err(Refusal::Windows);
    }
    Ok(())
}

/// Whether a decoded segment holds what IIS and ASP.NET read as another path
/// ([`Refusal::Windows`]): `(` + a letter + `(` (a cookieless-session segment, which ASP.NET
/// removes, so `/(S(x))/admin/panel.aspx` serves `/admin/panel.aspx`), `:$` (an NTFS stream of
/// the name before it, `admin::$INDEX_ALLOCATION` or `admin:$i30:$INDEX_ALLOCATION`), or a name
/// shaped as an 8.3 short name ([`short_name`]).
fn windows_alias(decoded: &str) -> bool {
    let b = decoded.as_bytes();
    b.windows(3).any(|w| matches!(w, [b'(', l, b'('] if l.is_ascii_alphabetic()))
        || b.windows(2).any(|w| w == b":$")
        || short_name(decoded.split(';').next().unwrap_or_default())
}

/// An 8.3 short name: one to six characters, `~`, digits, and an extension of one to three
/// (`SETTIN~1.PHP`, `ADMINI~1`), which NTFS resolves to the long name it stands for. A `~` in
/// other shapes (`a~1b`, a JSON Pointer's escape) is an ordinary character.
fn short_name(base: &str) -> bool {
    let Some((name, rest)) = base.split_once('~') else { return false };
    let (number, extension) = rest.split_once('.').map_or((rest, None), |(n, e)| (n, Some(e)));
    (1..=6).contains(&name.chars().count())
        && !name.contains('.')
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && extension.is_none_or(|e| (1..=3).contains(&e.chars().count()) && !e.contains('.'))
}

/// Whether a non-ASCII character becomes ASCII under case mapping (`ı` → `I`, `ſ` → `S`,
/// `K` → `k`, `ﬀ` → `FF`), under compatibility normalisation (NFKC: full-width forms, `ª`,
/// `ⓐ`, `ⅰ`, `‥` → `..`, `;` → `;`), or under Windows' "best fit" code-page mapping of
/// slashes and currency signs (`∕`, `⁄`, `∖` → `/` or `\`, `¥`, `₩` → `\`), so that a router that
/// folds case, normalises or converts to a code page reads an ASCII path the rules did not see.
fn folds_to_ascii(c: char) -> bool {
    let code = u32::from(c);
    c.to_lowercase().chain(c.to_uppercase()).any(|m| m.is_ascii())
        || NFKC_TO_ASCII.binary_search_by(|&(first, last)| compare(first, last, code)).is_ok()
        || matches!(c, '\u{2215}' | '\u{2044}' | '\u{2216}' | '\u{29F5}' | '\u{A5}' | '\u{20A9}')
}

fn compare(first: u32, last: u32, code: u32) -> std::cmp::Ordering {
    if last < code {
        std::cmp::Ordering::Less
    } else if first > code {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Equal
    }
}

/// The non-ASCII code points whose NFKC form holds an ASCII character (the Unicode version of
/// the `unicode-normalization` crate the test checks it with), as
/// inclusive ranges: a table of 142 ranges instead of the normalisation tables themselves, which
/// would cost every build of the package about 60 KiB gzipped. A test checks it against
/// `unicode-normalization` for every code point.
#[rustfmt::skip]
const NFKC_TO_ASCII: [(u32, u32); 142] = [
    (0xA0, 0xA0), (0xA8, 0xA8), (0xAA, 0xAA), (0xAF, 0xAF), (0xB2, 0xB4), (0xB8, 0xBA), (0xBC, 0xBE),
    (0x132, 0x133), (0x13F, 0x140), (0x149, 0x149), (0x17F, 0x17F), (0x1C4, 0x1CC), (0x1F1, 0x1F3),
    (0x2B0, 0x2B0), (0x2B2, 0x2B3), (0x2B7, 0x2B8), (0x2D8, 0x2DD), (0x2E1, 0x2E3), (0x37A, 0x37A),
    (0x37E, 0x37E), (0x384, 0x385), (0x1D2C, 0x1D2C), (0x1D2E, 0x1D2E), (0x1D30, 0x1D31), (0x1D33, 0x1D3A),
    (0x1D3C, 0x1D3C), (0x1D3E, 0x1D43), (0x1D47, 0x1D49), (0x1D4D, 0x1D4D), (0x1D4F, 0x1D50), (0x1D52, 0x1D52),
    (0x1D56, 0x1D58), (0x1D5B, 0x1D5B), (0x1D62, 0x1D65), (0x1D9C, 0x1D9C), (0x1DA0, 0x1DA0), (0x1DBB, 0x1DBB),
    (0x1E9A, 0x1E9A), (0x1FBD, 0x1FBD), (0x1FBF, 0x1FC1), (0x1FCD, 0x1FCF), (0x1FDD, 0x1FDF), (0x1FED, 0x1FEF),
    (0x1FFD, 0x1FFE), (0x2000, 0x200A), (0x2017, 0x2017), (0x2024, 0x2026), (0x202F, 0x202F), (0x203C, 0x203C),
    (0x203E, 0x203E), (0x2047, 0x2049), (0x205F, 0x205F), (0x2070, 0x2071), (0x2074, 0x207A), (0x207C, 0x208A),
    (0x208C, 0x208E), (0x2090, 0x2093), (0x2095, 0x209F), (0x20A8, 0x20A8), (0x2100, 0x2103), (0x2105, 0x2106),
    (0x2109, 0x210E), (0x2110, 0x2113), (0x2115, 0x2116), (0x2119, 0x211D), (0x2120, 0x2122), (0x2124, 0x2124),
    (0x2128, 0x2128), (0x212A, 0x212A), (0x212C, 0x212D), (0x212F, 0x2131), (0x2133, 0x2134), (0x2139, 0x2139),
    (0x213B, 0x213B), (0x2145, 0x2149), (0x2150, 0x217F), (0x2189, 0x2189), (0x2460, 0x24EA), (0x2A74, 0x2A76),
    (0x2C7C, 0x2C7D), (0x3000, 0x3000), (0x309B, 0x309C), (0x3200, 0x321E), (0x3220, 0x3243), (0x3250, 0x325F),
    (0x32B1, 0x32CF), (0x3358, 0x337A), (0x3380, 0x33FF), (0xA7F1, 0xA7F4), (0xFB00, 0xFB06), (0xFB29, 0xFB29),
    (0xFC5E, 0xFC63), (0xFDFA, 0xFDFB), (0xFE10, 0xFE10), (0xFE13, 0xFE16), (0xFE19, 0xFE19), (0xFE30, 0xFE30),
    (0xFE33, 0xFE38), (0xFE47, 0xFE50), (0xFE52, 0xFE52), (0xFE54, 0xFE57), (0xFE59, 0xFE5C), (0xFE5F, 0xFE66),
    (0xFE68, 0xFE6B), (0xFE70, 0xFE70), (0xFE72, 0xFE72), (0xFE74, 0xFE74), (0xFE76, 0xFE76), (0xFE78, 0xFE78),
    (0xFE7A, 0xFE7A), (0xFE7C, 0xFE7C), (0xFE7E, 0xFE7E), (0xFF01, 0xFF5E), (0xFFE3, 0xFFE3), (0x107A5, 0x107A5),
    (0x1CCD6, 0x1CCF9), (0x1D400, 0x1D454), (0x1D456, 0x1D49C), (0x1D49E, 0x1D49F), (0x1D4A2, 0x1D4A2),
    (0x1D4A5, 0x1D4A6), (0x1D4A9, 0x1D4AC), (0x1D4AE, 0x1D4B9), (0x1D4BB, 0x1D4BB), (0x1D4BD, 0x1D4C3),
    (0x1D4C5, 0x1D505), (0x1D507, 0x1D50A), (0x1D50D, 0x1D514), (0x1D516, 0x1D51C), (0x1D51E, 0x1D539),
    (0x1D53B, 0x1D53E), (0x1D540, 0x1D544), (0x1D546, 0x1D546), (0x1D54A, 0x1D550), (0x1D552, 0x1D6A3),
    (0x1D7CE, 0x1D7FF), (0x1F100, 0x1F10A), (0x1F110, 0x1F12E), (0x1F130, 0x1F14F), (0x1F16A, 0x1F16C),
    (0x1F190, 0x1F190), (0x1FBF0, 0x1FBF9),
];

/// Whether a character is invisible: Unicode's default-ignorable code points (format
/// characters such as the zero-width space and joiners, the byte-order mark, bidirectional
/// controls, the soft hyphen, variation selectors, tags, fillers), which normalising servers and
/// proxies may drop.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{AD}' | '\u{34F}' | '\u{61C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// Percent-decodes a raw segment, refusing malformed escapes, escapes of delimiters and
/// controls, and bytes that are not UTF-8.
fn decode(raw: &str) -> Result<Cow<'_, str>, Refusal> {
    if !raw.contains('%') {
        return Ok(Cow::Borrowed(raw));
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'%' {
            out.push(b);
            i += 1;
            continue;
        }
        let value = match (bytes.get(i + 1).and_then(hex_value), bytes.get(i + 2).and_then(hex_value)) {
            (Some(high), Some(low)) => Some(high << 4 | low),
            _ => None,
        };
        let Some(value) = value else { return Err(Refusal::BadEscape) };
        if value < 0x20 || value == 0x7f || b"/\\.?#;%".contains(&value) {
            return Err(Refusal::EncodedDelimiter);
        }
        out.push(value);
        i += 3;
    }
    String::from_utf8(out).map(Cow::Owned).map_err(|_| Refusal::BadEscape)
}

fn hex_value(b: &u8) -> Option<u8> {
    (*b as char).to_digit(16).map(|d| d as u8)
}

/// The rule-matching key of serialised segments (already checked, so decoding cannot fail):
/// each segment decoded, without `;parameters`, lower case, and without a format suffix — Rails
/// routes `/account/email.json` and Spring MVC's suffix patterns `/account/email.do` to the
/// handler of `/account/email`, so everything from a segment's first `.` after its leading dots
/// is folded away; empty segments are dropped.
fn key_of<S: AsRef<str>>(segments: &[S]) -> String {
    let mut key = String::new();
    for segment in segments {
        let decoded = decode(segment.as_ref()).unwrap_or_default();
        let base = decoded.split(';').next().unwrap_or_default();
        // Lower case of the whole base, before the stem is cut: String::to_lowercase reads a
        // character in context (a final sigma), so cutting first could fold differently. ASCII
        // folds alone, without a copy.
        let lowered;
        let base = if base.is_ascii() {
            base
        } else {
            lowered = base.to_lowercase();
            lowered.as_str()
        };
        // Leading dots belong to the name (`.well-known`, `..x`), so a stem is never `.`.
        let leading = base.len() - base.trim_start_matches('.').len();
        let stem = match base.get(leading..).and_then(|rest| rest.find('.')) {
            Some(dot) => base.get(..leading + dot).unwrap_or_default(),
            None => base,
        };
        if stem.is_empty() {
            continue;
        }
        key.push('/');
        for c in stem.chars() {
            key.push(c.to_ascii_lowercase());
        }
    }
    if key.is_empty() {
        key.push('/');
    }
    key
}

/// A rule's path pattern: an exact path, a prefix when it ends in `/*` (what lies below the
/// path), or a prefix as a string when it ends in `*` after a name (`/admin*`: what begins with
/// the path). `*` may appear only at the end. All are compared by [`Target::key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The key of the path or prefix.
    base: String,
    /// What more than `base` itself matches.
    reach: Reach,
}

/// What a [`Pattern`] matches beside its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Nothing (`/account/email`).
    Exact,
    /// What lies below it (`/admin/*`).
    Below,
    /// What begins with it as a string (`/admin*`: `/adminpanel` too).
    Begins,
}

impl Pattern {
    /// Parses a pattern such as `/admin`, `/admin/*`, `/admin*` or `/*`; the error says why it is
    /// refused.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        if !pattern.starts_with('/') {
            return Err(format!("{pattern:?} must start with /"));
        }
        let (base, reach) = match (pattern.strip_suffix("/*"), pattern.strip_suffix('*')) {
            (Some(base), _) => (base, Reach::Below),
            (None, Some(base)) => (base, Reach::Begins),
            (None, None) => (pattern, Reach::Exact),
        };
        if base.contains(['*', '?', '#']) {
            return Err(format!("{pattern:?}: * may only come last, and no query or fragment"));
        }
        match Target::parse(if base.is_empty() { "/" } else { base }) {
            Ok(target) => Ok(Pattern { base: target.key, reach }),
            Err(refusal) => Err(format!("{pattern:?} is not a plain path: {}", refusal.reason())),
        }
    }

    /// Whether a target's key falls under this pattern: it is the pattern's path, or (`/*`)
    /// below it, or (`*`) begins with it. A `/` inside the pattern's path may be missing from
    /// the key: a front controller in `/shop` routes `/shopadmin/x` as `admin/x` (CodeIgniter 3,
    /// Yii 2, Slim 3 and CakePHP 2 cut their directory off as a string), and gunicorn started
    /// with `SCRIPT_NAME=/shop` serves it as `/admin/x`, so `/shop/admin/*` matches it.
    pub fn matches(&self, key: &str) -> bool {
        self.matches_from(&self.base, key)
    }

    /// Whether the key matches this pattern's path or the path with some of its leading
    /// segments dropped (`/shop/admin/*` as `/admin/*` too), as [`Self::matches`] matches:
    /// what an app installed in a directory routes relative to it, where that directory cannot
    /// be told from the request ([`Target::cut_anywhere`]). The last segment is always kept.
    pub fn matches_tail(&self, key: &str) -> bool {
        self.base.match_indices('/').any(|(at, _)| self.base.get(at..).is_some_and(|tail| self.matches_from(tail, key)))
    }

    /// [`Self::matches`] with `base` (the pattern's path, or a tail of it) for the path.
    fn matches_from(&self, base: &str, key: &str) -> bool {
        if key == base || (self.reach != Reach::Exact && base == "/") {
            return true;
        }
        let (base, key) = (base.as_bytes(), key.as_bytes());
        let mut at = 0;
        for (i, &c) in base.iter().enumerate() {
            match key.get(at) {
                Some(&k) if k == c => at += 1,
                // A `/` between two of the pattern's segments (never the leading one) that the
                // key lacks: segments hold no `/`, so taking the key's `/` when it has one is
                // always right.
                _ if c == b'/' && i > 0 => {}
                _ => return false,
            }
        }
        match self.reach {
            Reach::Exact => at == key.len(),
            Reach::Below => matches!(key.get(at), None | Some(b'/')),
            Reach::Begins => true,
        }
    }

    /// The length of the pattern's path: of two that match, the longer is the more particular
    /// (nginx picks the longest prefix location).
    pub fn path_len(&self) -> usize {
        self.base.len()
    }

    /// Whether the key is the pattern's path or lies below it segment by segment, as written:
    /// no `/` missing, no string prefix. A rule that matches so is never overruled by an earlier
    /// one that matches only through a missing `/` or a string prefix ([`super::rules`]).
    pub fn matches_segments(&self, key: &str) -> bool {
        if key == self.base {
            return true;
        }
        self.reach != Reach::Exact
            && (self.base == "/" || key.strip_prefix(self.base.as_str()).is_some_and(|rest| rest.starts_with('/')))
    }
}

#[cfg(test)]
mod tests;
