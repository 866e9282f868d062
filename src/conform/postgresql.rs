//! `postgresql` and `pg_hba` formats: Postgres's server configuration (`postgresql.conf`)
//! and its client authentication file (`pg_hba.conf`), both with their include directives.
//!
//! `postgresql.conf`, read as Postgres 15's configuration lexer does: `name = value` or
//! `name value`, `#` comments, single-quoted values (`''` and backslash escapes), numbers with
//! units (`30s`, `64MB`; a fractional number needs quotes), unquoted words. `include`,
//! `include_if_exists` and `include_dir` are resolved relative to the including file's
//! directory (absolute paths under the sysroot); the last value of a parameter wins and
//! names are case-insensitive. A unitless number given to a parameter whose base unit is not
//! seconds or kilobytes (`log_min_duration_statement` is in ms, `shared_buffers` in 8kB
//! blocks) is looked up with its unit, so it compares with what the server reads.
//!
//! `pg_hba.conf`: records `type database user [address [mask]] method [options]`, `#`
//! comments, `"` quoting, comma lists, `\` line continuation, and Postgres 16's `include`,
//! `include_if_exists` and `include_dir`. Every record is a scope. Lookup keys are
//! `[selector.]field`: the field is `method`, `type`, `database`, `user`, `address`, or an
//! authentication option (`clientcert`); the selector is a connection type (`local`, `host`,
//! `hostssl`, …), `tcp` (every `host*` record) or `remote` (`host*` records reaching beyond
//! the loopback interface). `method` yields one value per record, scoped
//! `host all all 0.0.0.0/0`, so a baseline constrains every record at its line; a record
//! without a looked-up option is reported missing.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use serde_json::Value;

use super::{Format, Found, Input, MAX_INCLUDED_FILES, Observed, Parsed, Problem, Reader, Site};

/// Postgres's own include nesting limit (`CONF_FILE_MAX_DEPTH`).
const MAX_DEPTH: usize = 10;

/// The `postgresql.conf` format.
pub struct Postgresql;

/// The `pg_hba.conf` format.
pub struct PgHba;

// ---------------------------------------------------------------------------------------
// Includes, shared by both formats.

/// How an include directive treats its target.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Include {
    /// `include`: the file must exist.
    File,
    /// `include_if_exists`: a missing file is skipped.
    IfExists,
    /// `include_dir`: every `*.conf` file of the directory, in name order.
    Dir,
}

impl Include {
    fn from_directive(name: &str) -> Option<Include> {
        [
            ("include", Include::File),
            ("include_if_exists", Include::IfExists),
            ("include_dir", Include::Dir),
        ]
        .into_iter()
        .find(|(n, _)| name.eq_ignore_ascii_case(n))
        .map(|(_, kind)| kind)
    }
}

/// Files read so far, problems, and the chain of files being parsed (for loops).
struct Loader<'a> {
    reader: &'a dyn Reader,
    sysroot: &'a str,
    files: Vec<(String, String)>,
    index: HashMap<String, usize>,
    problems: Vec<Problem>,
    stack: Vec<usize>,
}

impl<'a> Loader<'a> {
    fn new(input: &Input<'_>, reader: &'a dyn Reader, sysroot: &'a str) -> Loader<'a> {
        Loader {
            reader,
            sysroot,
            files: vec![(input.path.to_owned(), input.text.to_owned())],
            index: HashMap::from([(input.path.to_owned(), 0)]),
            problems: Vec::new(),
            stack: vec![0],
        }
    }

    fn problem(&mut self, site: Site, message: String) {
        self.problems.push(Problem { site, message });
    }

    /// The files an include directive in file `from` names, read and registered, in the
    /// order Postgres reads them. Problems (missing, loop, too deep, out of the repository)
    /// are recorded at `site`.
    fn open(&mut self, from: usize, kind: Include, target: &str, site: Site) -> Vec<usize> {
        if target.is_empty() {
            self.problem(site, "include directive with an empty file name".to_owned());
            return Vec::new();
        }
        let dir = parent(&self.files[from].0).to_owned();
        let Some(path) = locate(&dir, target, self.sysroot) else {
            self.problem(
                site,
                format!("included `{target}` leads out of the repository"),
            );
            return Vec::new();
        };
        // The including file is at depth `stack.len() - 1`; the main file is depth 0.
        if self.stack.len() > MAX_DEPTH {
            self.problem(
                site,
                format!("could not open `{path}`: includes nest deeper than {MAX_DEPTH} levels"),
            );
            return Vec::new();
        }
        let paths = if kind == Include::Dir {
            let escaped = globset::escape(&path);
            let mut found: Vec<String> = self
                .reader
                .glob(&format!("{escaped}/*.conf"))
                .into_iter()
                .filter(|p| !file_name(p).starts_with('.'))
                .collect();
            found.sort();
            found
        } else {
            vec![path]
        };
        let mut out = Vec::new();
        for path in paths {
            if let Some(&i) = self.index.get(&path) {
                if self.stack.contains(&i) {
                    self.problem(
                        site,
                        format!("include loop: `{path}` is already being read"),
                    );
                } else {
                    out.push(i);
                }
                continue;
            }
            if self.files.len() >= MAX_INCLUDED_FILES {
                self.problem(
                    site,
                    format!("more than {MAX_INCLUDED_FILES} included files; `{path}` not read"),
                );
                break;
            }
            match self.reader.read(&path) {
                Ok(text) => {
                    self.index.insert(path.clone(), self.files.len());
                    out.push(self.files.len());
                    self.files.push((path, text));
                }
                Err(_)
                    if kind == Include::IfExists
                        && self.reader.glob(&globset::escape(&path)).is_empty() => {}
                Err(message) => {
                    self.problem(site, format!("could not read included file: {message}"));
                }
            }
        }
        out
    }

    fn finish(self, data: Box<dyn std::any::Any + Send + Sync>) -> Parsed {
        Parsed {
            files: self.files,
            problems: self.problems,
            data,
        }
    }
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn file_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, name)| name)
}

/// The repo-relative path an include target names, seen from repo-relative directory `dir`.
/// Absolute targets live under `sysroot`; so do relative ones from files under it, where
/// `..` stops at the sysroot as it stops at `/`. `None`: the path leads out of the repository.
fn locate(dir: &str, target: &str, sysroot: &str) -> Option<String> {
    let sysroot = sysroot.trim_matches('/');
    let split = |s: &str| -> Vec<String> {
        s.split('/')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let under_sysroot = sysroot.is_empty()
        || dir == sysroot
        || dir
            .strip_prefix(sysroot)
            .is_some_and(|rest| rest.starts_with('/'));
    let (root, mut segments, clamp) = if target.starts_with('/') {
        (sysroot, Vec::new(), true)
    } else if under_sysroot {
        (sysroot, split(&dir[sysroot.len().min(dir.len())..]), true)
    } else {
        ("", split(dir), false)
    };
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() && !clamp {
                    return None;
                }
            }
            other => segments.push(other.to_owned()),
        }
    }
    let rest = segments.join("/");
    Some(match (root.is_empty(), rest.is_empty()) {
        (true, _) => rest,
        (false, true) => root.to_owned(),
        (false, false) => format!("{root}/{rest}"),
    })
}

/// Physical lines of a text with their byte offsets, line terminators stripped.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |line| {
        let start = offset;
        offset += line.len();
        (start, line.trim_end_matches(['\n', '\r']))
    })
}

// ---------------------------------------------------------------------------------------
// postgresql.conf

/// The last value of each parameter (lower-case name), located.
struct Conf {
    values: BTreeMap<String, (String, Site)>,
}

/// A `name value` line: the name's span, the value (unquoted) and where the directive ends.
struct Directive {
    name: (usize, usize),
    value: String,
    end: usize,
}

fn is_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || !c.is_ascii()
}

fn is_letter_or_digit(c: char) -> bool {
    is_letter(c) || c.is_ascii_digit()
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\x0b' | '\x0c')
}

/// Byte index of the first char at or after `i` not matching `keep`.
fn scan(line: &str, i: usize, keep: impl Fn(char) -> bool) -> usize {
    line[i..]
        .char_indices()
        .find(|&(_, c)| !keep(c))
        .map_or(line.len(), |(j, _)| i + j)
}

/// The token at `i` for a syntax-error message (Postgres says "near token").
fn token_at(line: &str, i: usize) -> String {
    let Some(c) = line[i..].chars().next() else {
        return String::new();
    };
    let end = if is_letter(c) {
        scan(line, i, |c| is_letter_or_digit(c) || "-._:/".contains(c))
    } else if c.is_ascii_digit() {
        scan(line, i, |c| c.is_ascii_alphanumeric() || c == '.')
    } else {
        i + c.len_utf8()
    };
    line[i..end].chars().take(60).collect()
}

/// A syntax error at byte `at` of a line.
struct SyntaxError {
    at: usize,
    message: String,
}

fn near(line: &str, at: usize) -> SyntaxError {
    let token = token_at(line, at);
    SyntaxError {
        at,
        message: if token.is_empty() {
            "syntax error near end of line".to_owned()
        } else {
            format!("syntax error near token `{token}`")
        },
    }
}

/// Lexes one line of `postgresql.conf`: `None` for blank and comment lines.
fn directive(line: &str) -> Result<Option<Directive>, SyntaxError> {
    let start = scan(line, 0, is_space);
    if start == line.len() || line[start..].starts_with('#') {
        return Ok(None);
    }
    // A name is an identifier, optionally qualified once (`plugin.setting`).
    let first = line[start..].chars().next().unwrap_or(' ');
    if !is_letter(first) {
        return Err(near(line, start));
    }
    let word_end = scan(line, start, |c| {
        is_letter_or_digit(c) || "-._:/".contains(c)
    });
    let word = &line[start..word_end];
    let valid_name = {
        let mut parts = word.split('.');
        let ident =
            |p: &str| p.chars().next().is_some_and(is_letter) && p.chars().all(is_letter_or_digit);
        parts.next().is_some_and(ident) && parts.next().is_none_or(ident) && parts.next().is_none()
    };
    if !valid_name {
        return Err(near(line, start));
    }
    let mut i = scan(line, word_end, is_space);
    if line[i..].starts_with('=') {
        i = scan(line, i + 1, is_space);
    }
    let (value, end) = value_token(line, i)?;
    let after = scan(line, end, is_space);
    if after < line.len() && !line[after..].starts_with('#') {
        return Err(near(line, after));
    }
    Ok(Some(Directive {
        name: (start, word_end),
        value,
        end,
    }))
}

/// The value token at `i`: its text (quotes removed, escapes applied) and where it ends.
fn value_token(line: &str, i: usize) -> Result<(String, usize), SyntaxError> {
    let Some(c) = line[i..].chars().next() else {
        return Err(near(line, i));
    };
    if c == '\'' {
        return quoted(line, i);
    }
    if is_letter(c) {
        let end = scan(line, i, |c| is_letter_or_digit(c) || "-._:/".contains(c));
        return Ok((line[i..end].to_owned(), end));
    }
    if c.is_ascii_digit() || c == '.' || c == '-' || c == '+' {
        let end = number(line, i).ok_or_else(|| near(line, i))?;
        return Ok((line[i..end].to_owned(), end));
    }
    Err(near(line, i))
}

/// The end of a number at `i`: an integer (decimal or `0x` hex) with optional unit letters,
/// or a real (`1.5`, `.5`, `5.`, `1.5e3`) without units, as Postgres's lexer reads them.
fn number(line: &str, i: usize) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut j = i;
    if matches!(bytes.get(j), Some(b'+' | b'-')) {
        j += 1;
    }
    if bytes.get(j) == Some(&b'0')
        && bytes.get(j + 1) == Some(&b'x')
        && bytes.get(j + 2).is_some_and(u8::is_ascii_hexdigit)
    {
        let end = scan(line, j + 2, |c| c.is_ascii_hexdigit());
        return Some(scan(line, end, |c| c.is_ascii_alphabetic()));
    }
    let digits_end = scan(line, j, |c| c.is_ascii_digit());
    if bytes.get(digits_end) == Some(&b'.') {
        let fraction_end = scan(line, digits_end + 1, |c| c.is_ascii_digit());
        if digits_end == j && fraction_end == digits_end + 1 {
            return None;
        }
        let mut end = fraction_end;
        if matches!(bytes.get(end), Some(b'e' | b'E')) {
            let mut k = end + 1;
            if matches!(bytes.get(k), Some(b'+' | b'-')) {
                k += 1;
            }
            let exp_end = scan(line, k, |c| c.is_ascii_digit());
            if exp_end > k {
                end = exp_end;
            }
        }
        return Some(end);
    }
    if digits_end == j {
        return None;
    }
    Some(scan(line, digits_end, |c| c.is_ascii_alphabetic()))
}

/// A single-quoted string at `i`: `''` is a quote; `\b \f \n \r \t`, octal `\ooo` and
/// `\x` (any other character, itself) are escapes, as Postgres's `DeescapeQuotedString`.
fn quoted(line: &str, i: usize) -> Result<(String, usize), SyntaxError> {
    let mut out = String::new();
    let mut chars = line[i + 1..].char_indices().peekable();
    while let Some((j, c)) = chars.next() {
        match c {
            '\'' => {
                if let Some(&(_, '\'')) = chars.peek() {
                    chars.next();
                    out.push('\'');
                } else {
                    return Ok((out, i + 1 + j + 1));
                }
            }
            '\\' => match chars.next() {
                Some((_, 'b')) => out.push('\u{8}'),
                Some((_, 'f')) => out.push('\u{c}'),
                Some((_, 'n')) => out.push('\n'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, 't')) => out.push('\t'),
                Some((_, d)) if d.is_digit(8) => {
                    let mut code = d.to_digit(8).unwrap_or(0);
                    for _ in 0..2 {
                        match chars.peek() {
                            Some(&(_, d)) if d.is_digit(8) => {
                                code = code * 8 + d.to_digit(8).unwrap_or(0);
                                chars.next();
                            }
                            _ => break,
                        }
                    }
                    out.push(char::from_u32(code & 0xff).unwrap_or('?'));
                }
                Some((_, other)) => out.push(other),
                None => break,
            },
            other => out.push(other),
        }
    }
    Err(SyntaxError {
        at: i,
        message: "unterminated quoted string".to_owned(),
    })
}

fn parse_conf(loader: &mut Loader<'_>, file: usize, values: &mut BTreeMap<String, (String, Site)>) {
    let text = loader.files[file].1.clone();
    for (offset, line) in lines(&text) {
        match directive(line) {
            Ok(None) => {}
            Ok(Some(d)) => {
                let site = Site {
                    file,
                    offset: offset + d.name.0,
                    len: d.end - d.name.0,
                };
                let name = &line[d.name.0..d.name.1];
                if let Some(kind) = Include::from_directive(name) {
                    for included in loader.open(file, kind, &d.value, site) {
                        loader.stack.push(included);
                        parse_conf(loader, included, values);
                        loader.stack.pop();
                    }
                } else {
                    values.insert(name.to_ascii_lowercase(), (d.value, site));
                }
            }
            Err(e) => {
                let site = Site {
                    file,
                    offset: offset + e.at,
                    len: line.len() - e.at,
                };
                loader.problem(site, e.message);
            }
        }
    }
}

/// Base units of parameters whose unitless numbers are not seconds or kilobytes.
fn base_unit(name: &str) -> Option<(&'static str, f64)> {
    const MS: &[&str] = &[
        "log_min_duration_statement",
        "log_min_duration_sample",
        "log_autovacuum_min_duration",
        "log_startup_progress_interval",
        "statement_timeout",
        "lock_timeout",
        "idle_in_transaction_session_timeout",
        "idle_session_timeout",
        "deadlock_timeout",
        "tcp_user_timeout",
        "client_connection_check_interval",
        "bgwriter_delay",
        "wal_writer_delay",
        "autovacuum_vacuum_cost_delay",
        "vacuum_cost_delay",
        "wal_sender_timeout",
        "wal_receiver_timeout",
        "wal_retrieve_retry_interval",
        "max_standby_archive_delay",
        "max_standby_streaming_delay",
        "recovery_min_apply_delay",
    ];
    const MIN: &[&str] = &["log_rotation_age", "old_snapshot_threshold"];
    const BLOCKS: &[&str] = &[
        "shared_buffers",
        "effective_cache_size",
        "temp_buffers",
        "wal_buffers",
        "min_parallel_table_scan_size",
        "min_parallel_index_scan_size",
        "backend_flush_after",
        "bgwriter_flush_after",
        "checkpoint_flush_after",
        "wal_writer_flush_after",
    ];
    const MB: &[&str] = &[
        "min_wal_size",
        "max_wal_size",
        "wal_keep_size",
        "max_slot_wal_keep_size",
    ];
    if MS.contains(&name) {
        Some(("ms", 1.0))
    } else if MIN.contains(&name) {
        Some(("min", 1.0))
    } else if BLOCKS.contains(&name) {
        Some(("kB", 8.0))
    } else if MB.contains(&name) {
        Some(("MB", 1.0))
    } else {
        None
    }
}

/// `value` with its parameter's base unit when it is a unitless number other than the
/// `0`/`-1` sentinels (`250` → `250ms`, `16384` shared buffers → `131072kB`).
fn with_unit(name: &str, value: &str) -> String {
    let Some((unit, factor)) = base_unit(name) else {
        return value.to_owned();
    };
    let trimmed = value.trim();
    match trimmed.parse::<f64>() {
        Ok(n)
            if !matches!(trimmed.trim_start_matches('+'), "0" | "-1")
                && trimmed
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b"+-.".contains(&b)) =>
        {
            let scaled = n * factor;
            if scaled.fract() == 0.0 && scaled.abs() < 9e15 {
                #[allow(clippy::cast_possible_truncation)]
                let whole = scaled as i64;
                format!("{whole}{unit}")
            } else {
                format!("{scaled}{unit}")
            }
        }
        _ => value.to_owned(),
    }
}

impl Format for Postgresql {
    fn parse(&self, input: &Input<'_>, reader: &dyn Reader) -> Parsed {
        let mut loader = Loader::new(input, reader, input.sysroot);
        let mut values = BTreeMap::new();
        parse_conf(&mut loader, 0, &mut values);
        loader.finish(Box::new(Conf { values }))
    }

    fn lookup(&self, parsed: &Parsed, key: &str) -> Vec<Found> {
        let Some(conf) = parsed.data.downcast_ref::<Conf>() else {
            return Vec::new();
        };
        let name = key.to_ascii_lowercase();
        conf.values
            .get(&name)
            .map(|(value, site)| {
                vec![Found::Value(Observed {
                    value: Value::String(with_unit(&name, value)),
                    site: *site,
                    scope: None,
                })]
            })
            .unwrap_or_default()
    }

    fn placement(&self, key: &str) -> String {
        format!("add a `{key} = …` line")
    }
}

// ---------------------------------------------------------------------------------------
// pg_hba.conf

/// Connection types.
const TYPES: &[&str] = &[
    "local",
    "host",
    "hostssl",
    "hostnossl",
    "hostgssenc",
    "hostnogssenc",
];

/// Authentication methods Postgres 15/16 know.
const METHODS: &[&str] = &[
    "trust",
    "reject",
    "scram-sha-256",
    "md5",
    "password",
    "gss",
    "sspi",
    "ident",
    "peer",
    "ldap",
    "radius",
    "cert",
    "pam",
    "bsd",
];

/// One record.
struct Record {
    kind: String,
    database: String,
    user: String,
    /// The address as a CIDR when written as `address mask`, as written otherwise.
    address: Option<String>,
    /// Loopback-only (`127.0.0.0/8`, `::1`, `localhost`, `samehost`).
    loopback: bool,
    method: String,
    options: Vec<(String, String)>,
    scope: String,
    site: Site,
}

/// Every record, in file order (includes expanded).
struct Hba {
    records: Vec<Record>,
}

/// A field: its comma-separated tokens (quotes removed) and whether any was quoted, and the
/// field as written.
struct Field {
    tokens: Vec<String>,
    raw: String,
}

impl Field {
    fn first(&self) -> &str {
        self.tokens.first().map_or("", String::as_str)
    }
}

/// Splits a logical line into fields: whitespace separates fields, commas separate the
/// tokens of one field (`db1, db2`), `"` quotes, `#` outside quotes starts a comment.
fn fields(line: &str) -> Result<Vec<Field>, String> {
    let mut out: Vec<Field> = Vec::new();
    let mut chars = line.chars().peekable();
    let mut continues = false;
    loop {
        while chars.peek().is_some_and(|&c| is_space(c)) {
            chars.next();
        }
        let Some(&c) = chars.peek() else { break };
        if c == '#' {
            break;
        }
        let mut token = String::new();
        let mut raw = String::new();
        let mut in_quote = false;
        let mut comma = false;
        while let Some(&c) = chars.peek() {
            if !in_quote && (is_space(c) || c == '#') {
                break;
            }
            chars.next();
            if c == '"' {
                in_quote = !in_quote;
                raw.push(c);
            } else if c == ',' && !in_quote {
                comma = true;
                break;
            } else {
                token.push(c);
                raw.push(c);
            }
        }
        if in_quote {
            return Err("unterminated quoted string".to_owned());
        }
        if continues {
            if let Some(field) = out.last_mut() {
                field.tokens.push(token);
                field.raw.push(',');
                field.raw.push_str(&raw);
            }
        } else {
            out.push(Field {
                tokens: vec![token],
                raw,
            });
        }
        continues = comma;
    }
    Ok(out)
}

/// Loopback-only addresses.
fn loopback(address: &str, mask: Option<&str>) -> bool {
    if matches!(address, "samehost" | "localhost") {
        return true;
    }
    match cidr(address, mask) {
        Some((IpAddr::V4(ip), prefix)) => ip.octets()[0] == 127 && prefix >= 8,
        Some((IpAddr::V6(ip), prefix)) => ip.is_loopback() && prefix == 128,
        None => false,
    }
}

/// `address/prefix` or `address mask` as an address and prefix length.
fn cidr(address: &str, mask: Option<&str>) -> Option<(IpAddr, u32)> {
    match (address.split_once('/'), mask) {
        (Some((ip, prefix)), None) => {
            let ip: IpAddr = ip.parse().ok()?;
            let prefix: u32 = prefix.parse().ok()?;
            let bits = if ip.is_ipv4() { 32 } else { 128 };
            (prefix <= bits).then_some((ip, prefix))
        }
        (None, Some(mask)) => {
            let ip: IpAddr = address.parse().ok()?;
            let prefix = match mask.parse::<IpAddr>().ok()? {
                IpAddr::V4(m) => u32::from(m).leading_ones(),
                IpAddr::V6(m) => u128::from(m).leading_ones(),
            };
            Some((ip, prefix))
        }
        (None, None) => Some((
            address.parse().ok()?,
            if address.contains(':') { 128 } else { 32 },
        )),
        (Some(_), Some(_)) => None,
    }
}

/// A record from the fields of a line, or why Postgres rejects it.
fn record(fields: &[Field], site: Site) -> Result<Record, String> {
    let kind = fields[0].first().to_owned();
    let missing = |what: &str| format!("end-of-line before {what} specification");
    let database = fields.get(1).ok_or_else(|| missing("database"))?;
    let user = fields.get(2).ok_or_else(|| missing("role"))?;
    let mut next = 3;
    let mut address = None;
    let mut loopback_only = false;
    let mut shown = format!("{kind} {} {}", database.raw, user.raw);
    if kind != "local" {
        let field = fields.get(next).ok_or_else(|| missing("IP address"))?;
        next += 1;
        let written = field.first();
        let mask = if !written.contains('/') && written.parse::<IpAddr>().is_ok() {
            let mask = fields.get(next).ok_or_else(|| missing("netmask"))?;
            next += 1;
            if mask.first().parse::<IpAddr>().is_err() {
                return Err(format!("invalid IP mask `{}`", mask.first()));
            }
            Some(mask.first())
        } else {
            None
        };
        if written.contains('/') && cidr(written, None).is_none() {
            return Err(format!("invalid IP address `{written}`"));
        }
        loopback_only = loopback(written, mask);
        address = Some(match (mask, cidr(written, mask)) {
            (Some(_), Some((ip, prefix))) => format!("{ip}/{prefix}"),
            _ => written.to_owned(),
        });
        shown.push(' ');
        shown.push_str(&field.raw);
        if let Some(mask) = mask {
            shown.push(' ');
            shown.push_str(mask);
        }
    }
    let method = fields
        .get(next)
        .ok_or_else(|| missing("authentication method"))?
        .first()
        .to_owned();
    if !METHODS.contains(&method.as_str()) {
        return Err(format!("invalid authentication method `{method}`"));
    }
    if method == "peer" && kind != "local" {
        return Err("peer authentication is only supported on local sockets".to_owned());
    }
    if method == "cert" && kind != "hostssl" {
        return Err("cert authentication is only supported on hostssl connections".to_owned());
    }
    let mut options = Vec::new();
    for field in &fields[next + 1..] {
        for token in &field.tokens {
            let Some((name, value)) = token.split_once('=') else {
                return Err(format!(
                    "authentication option `{token}` is not in name=value format"
                ));
            };
            options.push((name.to_owned(), value.to_owned()));
        }
    }
    Ok(Record {
        kind,
        database: database.raw.clone(),
        user: user.raw.clone(),
        address,
        loopback: loopback_only,
        method,
        options,
        scope: shown,
        site,
    })
}

fn parse_hba(loader: &mut Loader<'_>, file: usize, records: &mut Vec<Record>) {
    let text = loader.files[file].1.clone();
    let mut pending: Option<(usize, String)> = None;
    for (offset, line) in lines(&text) {
        // A record continues on the next line after a trailing backslash.
        let (start, mut logical) = pending.take().unwrap_or((offset, String::new()));
        if let Some(head) = line.strip_suffix('\\') {
            logical.push_str(head);
            logical.push(' ');
            pending = Some((start, logical));
            continue;
        }
        logical.push_str(line);
        let end = offset + line.len();
        hba_line(loader, file, start, end, &logical, records);
    }
    if let Some((start, logical)) = pending {
        hba_line(loader, file, start, text.len(), &logical, records);
    }
}

fn hba_line(
    loader: &mut Loader<'_>,
    file: usize,
    start: usize,
    end: usize,
    logical: &str,
    records: &mut Vec<Record>,
) {
    let indent = logical.len() - logical.trim_start().len();
    let site = Site {
        file,
        offset: start + indent.min(end - start),
        len: (end - start).saturating_sub(indent),
    };
    let fields = match fields(logical) {
        Ok(fields) if fields.is_empty() => return,
        Ok(fields) => fields,
        Err(message) => {
            loader.problem(site, message);
            return;
        }
    };
    let kind = fields[0].first();
    if let Some(include) =
        Include::from_directive(kind).filter(|_| kind == kind.to_ascii_lowercase())
    {
        match fields.as_slice() {
            [_, target] => {
                let target = target.first().to_owned();
                for included in loader.open(file, include, &target, site) {
                    loader.stack.push(included);
                    parse_hba(loader, included, records);
                    loader.stack.pop();
                }
            }
            _ => loader.problem(site, format!("`{kind}` takes exactly one file name")),
        }
        return;
    }
    if !TYPES.contains(&kind) {
        loader.problem(site, format!("invalid connection type `{kind}`"));
        return;
    }
    match record(&fields, site) {
        Ok(record) => records.push(record),
        Err(message) => loader.problem(site, message),
    }
}

/// Does `record` belong to `selector`?
fn selects(selector: Option<&str>, record: &Record) -> bool {
    match selector {
        None => true,
        Some("tcp") => record.kind != "local",
        Some("remote") => record.kind != "local" && !record.loopback,
        Some(kind) => record.kind == kind,
    }
}

impl Format for PgHba {
    fn parse(&self, input: &Input<'_>, reader: &dyn Reader) -> Parsed {
        let mut loader = Loader::new(input, reader, input.sysroot);
        let mut records = Vec::new();
        parse_hba(&mut loader, 0, &mut records);
        loader.finish(Box::new(Hba { records }))
    }

    fn lookup(&self, parsed: &Parsed, key: &str) -> Vec<Found> {
        let Some(hba) = parsed.data.downcast_ref::<Hba>() else {
            return Vec::new();
        };
        let (selector, field) = match key.rsplit_once('.') {
            Some((selector, field)) => (Some(selector), field),
            None => (None, key),
        };
        hba.records
            .iter()
            .filter(|r| selects(selector, r))
            .filter_map(|r| {
                let value = match field {
                    "method" => Some(r.method.clone()),
                    "type" => Some(r.kind.clone()),
                    "database" => Some(r.database.clone()),
                    "user" => Some(r.user.clone()),
                    "address" => Some(r.address.clone()?),
                    option => match r.options.iter().rev().find(|(n, _)| n == option) {
                        Some((_, v)) => Some(v.clone()),
                        None => {
                            return Some(Found::Missing {
                                scope: r.scope.clone(),
                                site: r.site,
                            });
                        }
                    },
                };
                value.map(|v| {
                    Found::Value(Observed {
                        value: Value::String(v),
                        site: r.site,
                        scope: Some(r.scope.clone()),
                    })
                })
            })
            .collect()
    }

    fn placement(&self, key: &str) -> String {
        match key.rsplit_once('.') {
            Some((selector, field)) => format!("add a `{selector}` record with this {field}"),
            None => format!("add a record with this {key}"),
        }
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::conform::testing::MemoryReader as Files;

    fn repo(files: &[(&str, &str)]) -> Files {
        Files::of(files)
    }

    fn parse(format: &dyn Format, files: &Files, path: &str, sysroot: &str) -> Parsed {
        let text = files.read(path).unwrap();
        format.parse(
            &Input {
                path,
                text: &text,
                sysroot,
            },
            files,
        )
    }

    /// `(value, file, line)` of each found value, `None` value for `Missing`.
    fn found(
        parsed: &Parsed,
        format: &dyn Format,
        key: &str,
    ) -> Vec<(Option<String>, String, usize)> {
        format
            .lookup(parsed, key)
            .into_iter()
            .map(|f| {
                let (value, site) = match f {
                    Found::Value(o) => (o.value.as_str().map(str::to_owned), o.site),
                    Found::Missing { site, .. } => (None, site),
                };
                let (path, text) = &parsed.files[site.file];
                let line = text[..site.offset].matches('\n').count() + 1;
                (value, path.clone(), line)
            })
            .collect()
    }

    fn problems(parsed: &Parsed) -> Vec<(String, usize, String)> {
        parsed
            .problems
            .iter()
            .map(|p| {
                let (path, text) = &parsed.files[p.site.file];
                let line = text[..p.site.offset].matches('\n').count() + 1;
                (path.clone(), line, p.message.clone())
            })
            .collect()
    }

    fn value(line: &str) -> Result<Option<String>, String> {
        directive(line)
            .map(|d| d.map(|d| d.value))
            .map_err(|e| e.message)
    }

    #[test]
    fn lines_are_lexed_as_postgres_does() {
        // Each case was checked with `postgres -C` (PostgreSQL 15).
        let accepted = [
            ("work_mem = '1.5MB'", "1.5MB"),
            ("work_mem = '4 MB'", "4 MB"),
            ("work_mem 8MB", "8MB"),
            ("work_mem=+8MB", "+8MB"),
            ("work_mem = 0x10", "0x10"),
            ("random_page_cost = .5", ".5"),
            ("random_page_cost = 5.", "5."),
            ("random_page_cost = 1.5e3", "1.5e3"),
            ("timezone = Europe/Berlin", "Europe/Berlin"),
            ("ssl_ciphers = HIGH:MEDIUM", "HIGH:MEDIUM"),
            (r"log_line_prefix = 'a''b\tc\101'", "a'b\tcA"),
            ("WORK_MEM = 9MB # comment", "9MB"),
            ("my.custom = 5", "5"),
            ("  \tlisten_addresses='*'\t# all", "*"),
            ("search_path = ''", ""),
            ("x = é", "é"),
        ];
        for (line, want) in accepted {
            assert_eq!(value(line), Ok(Some(want.to_owned())), "{line}");
        }
        let rejected = [
            ("listen_addresses = *", "syntax error near token `*`"),
            ("work_mem = 1.5MB", "syntax error near token `MB`"),
            ("work_mem = 4 MB", "syntax error near token `MB`"),
            ("random_page_cost = 1e1", "syntax error near token `1`"),
            ("ssl_ciphers = HIGH:!aNULL", "syntax error near token `!`"),
            ("work_mem = 9MB x", "syntax error near token `x`"),
            ("my.custom.x = 5", "syntax error near token `my.custom.x`"),
            ("work_mem = 9MB;", "syntax error near token `;`"),
            ("work_mem", "syntax error near end of line"),
            ("work_mem =", "syntax error near end of line"),
            ("= 5", "syntax error near token `=`"),
            ("log_line_prefix = 'open", "unterminated quoted string"),
            (r"log_line_prefix = 'a\'", "unterminated quoted string"),
        ];
        for (line, want) in rejected {
            assert_eq!(value(line), Err(want.to_owned()), "{line}");
        }
        assert_eq!(value("   # only a comment"), Ok(None));
        assert_eq!(value(""), Ok(None));
    }

    #[test]
    fn the_last_value_wins_names_are_case_insensitive_and_units_are_added() {
        let files = repo(&[(
            "pg/postgresql.conf",
            "ssl = off\nSSL = on\nlog_min_duration_statement = 250\nshared_buffers = 16384\nlog_rotation_age = 1440\nstatement_timeout = -1\nwork_mem = 4096\n",
        )]);
        let parsed = parse(&Postgresql, &files, "pg/postgresql.conf", "");
        assert!(parsed.problems.is_empty());
        let one = |key: &str| found(&parsed, &Postgresql, key);
        assert_eq!(
            one("ssl"),
            [(Some("on".into()), "pg/postgresql.conf".into(), 2)]
        );
        assert_eq!(one("Ssl")[0].0.as_deref(), Some("on"));
        assert_eq!(
            one("log_min_duration_statement")[0].0.as_deref(),
            Some("250ms")
        );
        assert_eq!(one("shared_buffers")[0].0.as_deref(), Some("131072kB"));
        assert_eq!(one("log_rotation_age")[0].0.as_deref(), Some("1440min"));
        assert_eq!(one("statement_timeout")[0].0.as_deref(), Some("-1"));
        assert_eq!(one("work_mem")[0].0.as_deref(), Some("4096"));
        assert!(one("port").is_empty());
    }

    #[test]
    fn includes_are_read_in_place_relative_to_the_including_file() {
        let files = repo(&[
            (
                "deploy/prod/etc/pg/postgresql.conf",
                "ssl = off\ninclude 'tls.conf'\ninclude_if_exists = 'absent.conf'\ninclude_dir 'conf.d'\nport = 5432\ninclude '/etc/extra.conf'\n",
            ),
            ("deploy/prod/etc/pg/tls.conf", "ssl = on\nport = 1\n"),
            (
                "deploy/prod/etc/pg/conf.d/20-b.conf",
                "log_statement = all\n",
            ),
            (
                "deploy/prod/etc/pg/conf.d/10-a.conf",
                "log_statement = ddl\nlog_connections = on\n",
            ),
            (
                "deploy/prod/etc/pg/conf.d/.hidden.conf",
                "log_connections = off\n",
            ),
            (
                "deploy/prod/etc/pg/conf.d/notes.txt",
                "log_connections = off\n",
            ),
            ("deploy/prod/etc/extra.conf", "password_encryption = md5\n"),
        ]);
        let parsed = parse(
            &Postgresql,
            &files,
            "deploy/prod/etc/pg/postgresql.conf",
            "deploy/prod",
        );
        assert_eq!(problems(&parsed), []);
        let one = |key: &str| found(&parsed, &Postgresql, key);
        assert_eq!(
            one("ssl"),
            [(Some("on".into()), "deploy/prod/etc/pg/tls.conf".into(), 1)]
        );
        assert_eq!(one("port")[0].1, "deploy/prod/etc/pg/postgresql.conf");
        assert_eq!(
            one("log_statement"),
            [(
                Some("all".into()),
                "deploy/prod/etc/pg/conf.d/20-b.conf".into(),
                1
            )]
        );
        assert_eq!(one("log_connections")[0].0.as_deref(), Some("on"));
        assert_eq!(
            one("password_encryption"),
            [(Some("md5".into()), "deploy/prod/etc/extra.conf".into(), 1)]
        );
    }

    #[test]
    fn include_problems_are_located_at_the_directive() {
        let files = repo(&[
            (
                "etc/postgresql.conf",
                "include 'missing.conf'\ninclude 'loop.conf'\ninclude '../../outside.conf'\ninclude ''\n",
            ),
            ("etc/loop.conf", "include 'postgresql.conf'\nssl = on\n"),
        ]);
        let parsed = parse(&Postgresql, &files, "etc/postgresql.conf", "deploy/prod");
        let got = problems(&parsed);
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(got[0].1, 1);
        assert!(
            got[0].2.contains("`etc/missing.conf` does not exist"),
            "{got:?}"
        );
        assert_eq!(
            got[1],
            (
                "etc/loop.conf".into(),
                1,
                "include loop: `etc/postgresql.conf` is already being read".into()
            )
        );
        assert_eq!(
            got[2],
            (
                "etc/postgresql.conf".into(),
                3,
                "included `../../outside.conf` leads out of the repository".into()
            )
        );
        assert_eq!(got[3].2, "include directive with an empty file name");
        assert_eq!(found(&parsed, &Postgresql, "ssl")[0].1, "etc/loop.conf");
    }

    #[test]
    fn includes_nest_ten_levels_deep_at_most() {
        let mut list: Vec<(String, String)> = (0..12)
            .map(|i| {
                (
                    format!("c/{i}.conf"),
                    format!("include '{}.conf'\nport = {i}\n", i + 1),
                )
            })
            .collect();
        list.push(("c/12.conf".into(), "port = 12\n".into()));
        let files = Files(list.into_iter().collect());
        let parsed = parse(&Postgresql, &files, "c/0.conf", "");
        let got = problems(&parsed);
        assert_eq!(got.len(), 1, "{got:?}");
        // Checked with Postgres 15: depth 10 may include, depth 11 may not.
        assert_eq!(got[0].0, "c/10.conf");
        assert!(got[0].2.contains("nest deeper than 10 levels"));
    }

    #[test]
    fn paths_are_located_under_the_sysroot() {
        assert_eq!(
            locate("d/p/etc/pg", "x.conf", "d/p").as_deref(),
            Some("d/p/etc/pg/x.conf")
        );
        assert_eq!(
            locate("d/p/etc/pg", "/etc/x.conf", "d/p").as_deref(),
            Some("d/p/etc/x.conf")
        );
        assert_eq!(
            locate("d/p/etc", "../../../../x", "d/p").as_deref(),
            Some("d/p/x")
        );
        assert_eq!(locate("d/p/etc", "/../x", "d/p/").as_deref(), Some("d/p/x"));
        assert_eq!(
            locate("etc", "./a/./b/../c", "").as_deref(),
            Some("etc/a/c")
        );
        assert_eq!(locate("etc", "../../x", "").as_deref(), Some("x"));
        assert_eq!(locate("other/etc", "../../../x", "d/p"), None);
        assert_eq!(
            locate("other/etc", "../x", "d/p").as_deref(),
            Some("other/x")
        );
    }

    const HBA: &str = "\
# TYPE  DATABASE        USER            ADDRESS                 METHOD
local   all             postgres                                peer
local   all             all                                     trust
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 md5
host    \"my db\",other   all             0.0.0.0/0               scram-sha-256
hostssl all             all             10.0.0.0 255.0.0.0      cert clientcert=verify-full
host    all             all             samenet \\
        password
hostnossl all           @admins         localhost               reject
";

    #[test]
    fn every_record_is_a_scope() {
        let files = repo(&[("pg_hba.conf", HBA)]);
        let parsed = parse(&PgHba, &files, "pg_hba.conf", "");
        assert_eq!(problems(&parsed), []);
        let methods: Vec<(Option<String>, usize)> = found(&parsed, &PgHba, "method")
            .into_iter()
            .map(|(v, _, l)| (v, l))
            .collect();
        let want = [
            ("peer", 2),
            ("trust", 3),
            ("scram-sha-256", 4),
            ("md5", 5),
            ("scram-sha-256", 6),
            ("cert", 7),
            ("password", 8),
            ("reject", 10),
        ];
        assert_eq!(methods, want.map(|(m, l)| (Some(m.to_owned()), l)).to_vec());
        let scopes: Vec<String> = PgHba
            .lookup(&parsed, "method")
            .into_iter()
            .filter_map(|f| match f {
                Found::Value(o) => o.scope,
                Found::Missing { .. } => None,
            })
            .collect();
        assert_eq!(scopes[0], "local all postgres");
        assert_eq!(scopes[4], "host \"my db\",other all 0.0.0.0/0");
        assert_eq!(scopes[5], "hostssl all all 10.0.0.0 255.0.0.0");
        let values = |key: &str| -> Vec<String> {
            found(&parsed, &PgHba, key)
                .into_iter()
                .map(|(v, _, l)| format!("{}@{l}", v.unwrap_or_else(|| "-".into())))
                .collect()
        };
        assert_eq!(values("local.method"), ["peer@2", "trust@3"]);
        assert_eq!(values("remote.type"), ["host@6", "hostssl@7", "host@8"]);
        assert_eq!(
            values("remote.address"),
            ["0.0.0.0/0@6", "10.0.0.0/8@7", "samenet@8"]
        );
        assert_eq!(values("tcp.type").len(), 6);
        assert_eq!(values("hostssl.clientcert"), ["verify-full@7"]);
        assert_eq!(values("host.clientcert"), ["-@4", "-@5", "-@6", "-@8"]);
        assert_eq!(values("local.address"), Vec::<String>::new());
        assert_eq!(values("database")[4], "\"my db\",other@6");
    }

    #[test]
    fn bad_records_are_problems_at_their_line() {
        let files = repo(&[(
            "hba",
            "HOST all all 0.0.0.0/0 md5\nhost all all 0.0.0.0/0 md6\nhost all all\nhost all all 10.0.0.0\nhost all all 10.0.0.0/99 md5\nhost all all ::1/128 peer\nhost all all ::1/128 cert\nlocal all all md5 foo\nlocal \"all all md5\n",
        )]);
        let parsed = parse(&PgHba, &files, "hba", "");
        let got: Vec<(usize, String)> = problems(&parsed)
            .into_iter()
            .map(|(_, l, m)| (l, m))
            .collect();
        assert_eq!(
            got,
            [
                (1, "invalid connection type `HOST`".to_owned()),
                (2, "invalid authentication method `md6`".to_owned()),
                (3, "end-of-line before IP address specification".to_owned()),
                (4, "end-of-line before netmask specification".to_owned()),
                (5, "invalid IP address `10.0.0.0/99`".to_owned()),
                (
                    6,
                    "peer authentication is only supported on local sockets".to_owned()
                ),
                (
                    7,
                    "cert authentication is only supported on hostssl connections".to_owned()
                ),
                (
                    8,
                    "authentication option `foo` is not in name=value format".to_owned()
                ),
                (9, "unterminated quoted string".to_owned()),
            ]
        );
        assert!(PgHba.lookup(&parsed, "method").is_empty());
    }

    #[test]
    fn hba_includes_follow_postgres_16() {
        let files = repo(&[
            (
                "etc/pg_hba.conf",
                "local all all peer\ninclude_dir hba.d\ninclude_if_exists missing.conf\ninclude extra.conf\n",
            ),
            ("etc/hba.d/b.conf", "host all all 10.0.0.0/8 md5\n"),
            (
                "etc/hba.d/a.conf",
                "host all all 10.1.0.0/16 scram-sha-256\n",
            ),
            ("etc/extra.conf", "include pg_hba.conf\n"),
        ]);
        let parsed = parse(&PgHba, &files, "etc/pg_hba.conf", "");
        let methods: Vec<(Option<String>, String, usize)> = found(&parsed, &PgHba, "method");
        assert_eq!(
            methods,
            [
                (Some("peer".into()), "etc/pg_hba.conf".into(), 1),
                (Some("scram-sha-256".into()), "etc/hba.d/a.conf".into(), 1),
                (Some("md5".into()), "etc/hba.d/b.conf".into(), 1),
            ]
        );
        assert_eq!(
            problems(&parsed),
            [(
                "etc/extra.conf".into(),
                1,
                "include loop: `etc/pg_hba.conf` is already being read".into()
            )]
        );
    }

    #[test]
    fn garbage_never_panics() {
        let mut inputs: Vec<String> = vec![
            String::new(),
            "'".into(),
            "a = '\\".into(),
            "a = 0x".into(),
            "a = +".into(),
            "a = .".into(),
            "a = -.e".into(),
            "\u{0}\u{1}\u{7f}é€𝄞 = '\u{0}'".into(),
            "include".into(),
            "include_dir '[*'".into(),
            "host \"".into(),
            "host all all 1.2.3.4 \\".into(),
            "\\\n\\\n\\".into(),
            "local all all peer\r\nhost all all ::1 ffff:: md5\r\n".into(),
            format!("x = '{}", "a".repeat(1 << 20)),
            format!("{} = 1", "n".repeat(1 << 20)),
            "host all all ".repeat(50_000),
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..300 {
            let len = usize::try_from(seed % 97).unwrap();
            let text: String = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let pool = b"ab=' \t\n#\\\",./:0x9e.+-_incldehost";
                    char::from(pool[usize::try_from(seed % pool.len() as u64).unwrap()])
                })
                .collect();
            inputs.push(text);
        }
        for text in &inputs {
            let files = repo(&[("f", text)]);
            for format in [&Postgresql as &dyn Format, &PgHba] {
                let parsed = parse(format, &files, "f", "");
                for key in ["method", "remote.type", "x", "a", "clientcert"] {
                    let _ = format.lookup(&parsed, key);
                }
                for p in &parsed.problems {
                    let text = &parsed.files[p.site.file].1;
                    assert!(p.site.offset + p.site.len <= text.len());
                    assert!(text.is_char_boundary(p.site.offset));
                }
            }
        }
    }
}
