//! `nginx` format: `nginx.conf` and the files it includes — directives `name args…;` and
//! blocks `name args { … }`, `#` comments, single- and double-quoted strings with nginx's
//! escapes, `include` (globs allowed) followed through the repository.
//!
//! Includes: an absolute path maps under the input's sysroot; a relative one is resolved as
//! nginx does, against the configuration prefix (the directory of the checked file), then
//! against the including file's directory, then `<sysroot>/etc/nginx` (so a site file checked
//! on its own still finds `snippets/…`). A glob matching nothing is not an error (nginx
//! ignores it); a missing plain path, a loop, a path leading out of the repository, nesting
//! deeper than 16 includes or more than [`MAX_INCLUDED_FILES`] files are [`Problem`]s.
//!
//! Lookup keys:
//! - `server_tokens` — every occurrence, wherever it is: those at the top (`main`, `events`,
//!   `http`) with scope `None`, nested ones with a scope such as
//!   `server example.com > location /api`. When a directive is set only inside blocks, every
//!   `server` that does not set it is [`Found::Missing`] (the compiled-in default is in force
//!   there).
//! - `http/ssl_protocols`, `main/worker_processes`, `http/server/listen` — only occurrences
//!   whose chain of enclosing blocks is exactly that path (`main`: the top level; `*`: any
//!   one block).
//! - `add_header X-Frame-Options` — one entry of an array-like directive, by its first
//!   argument (case-insensitive); the value is the rest of the arguments (`always` left out).
//!   nginx inherits array-like directives (`add_header`, `proxy_set_header`, `ssl_certificate`,
//!   …) from the enclosing level only when a level defines none of them, so a `location`
//!   with its own `add_header` drops every header of its `server`: each `server`, `location`
//!   or `if` block that defines its own `add_header` without the header is
//!   [`Found::Missing`] (at its first `add_header`), and each `server` that inherits no such
//!   header is [`Found::Missing`] at its opening (when the header is set nowhere at all the
//!   lookup is empty: one finding for the file). A setting saying "X-Frame-Options must be
//!   DENY in every block" is `key: add_header X-Frame-Options` with `value: DENY`.
//!   Single-valued directives (`ssl_protocols`, `ssl_session_tickets`, …) follow the first
//!   rule: an inner level's value replaces the outer one and is reported in its scope.
//! - `add_header` (bare, and the other keyed array directives): the entries in force at each
//!   level that defines its own, as a list of `Name value` strings.
//!
//! Values are the arguments joined by one space, quotes removed; `ssl_ciphers` and
//! `ssl_ecdh_curve` are read as lists (split on `:`).

use serde_json::Value;

use super::{Format, Found, Input, MAX_INCLUDED_FILES, Observed, Parsed, Problem, Reader, Site};

/// The nginx format.
pub struct Nginx;

/// Deepest chain of includes followed.
const MAX_INCLUDE_DEPTH: usize = 16;
/// Deepest block nesting kept; deeper blocks are reported and skipped.
const MAX_NESTING: usize = 64;

/// Directives whose entries are keyed by their first argument and inherited as a whole.
const KEYED: &[&str] = &[
    "add_header",
    "add_trailer",
    "proxy_set_header",
    "proxy_hide_header",
    "grpc_set_header",
    "fastcgi_param",
    "uwsgi_param",
    "scgi_param",
];

/// Directives whose value is an OpenSSL `:`-separated list.
const COLON_LISTS: &[&str] = &["ssl_ciphers", "ssl_ecdh_curve"];

/// Blocks that form the http inheritance chain.
const LEVELS: &[&str] = &["http", "server", "location", "if"];

/// One directive or block; index 0 of [`Data::nodes`] is the top level (`main`).
#[derive(Debug)]
struct Node {
    name: String,
    args: Vec<String>,
    /// The directive from its name through `;` or `{`.
    site: Site,
    parent: usize,
    block: bool,
    children: Vec<usize>,
}

/// The directive tree, includes spliced in where they occur.
struct Data {
    nodes: Vec<Node>,
}

/// A token: a word (unquoted), or a `;`, `{`, `}` at a byte offset.
#[derive(Debug)]
enum Token {
    Word {
        text: String,
        start: usize,
        end: usize,
    },
    Semicolon(usize),
    Open(usize),
    Close(usize),
}

/// nginx's tokenizer (`ngx_conf_read_token`): `#` starts a comment only at a token start,
/// `}` ends a token only at its start, `${` does not open a block.
struct Lexer<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    /// The next token; `Err((offset, message))` on an unterminated quoted string.
    fn next_token(&mut self) -> Result<Option<Token>, (usize, String)> {
        let b = self.bytes;
        loop {
            while self.pos < b.len() && b[self.pos].is_ascii_whitespace() {
                self.pos += 1;
            }
            if self.pos >= b.len() {
                return Ok(None);
            }
            if b[self.pos] == b'#' {
                while self.pos < b.len() && b[self.pos] != b'\n' {
                    self.pos += 1;
                }
                continue;
            }
            break;
        }
        let start = self.pos;
        match b[start] {
            b';' => {
                self.pos += 1;
                return Ok(Some(Token::Semicolon(start)));
            }
            b'{' => {
                self.pos += 1;
                return Ok(Some(Token::Open(start)));
            }
            b'}' => {
                self.pos += 1;
                return Ok(Some(Token::Close(start)));
            }
            quote @ (b'"' | b'\'') => {
                let mut i = start + 1;
                while i < b.len() && b[i] != quote {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                if i >= b.len() {
                    self.pos = b.len();
                    return Err((start, "unterminated quoted string".to_owned()));
                }
                self.pos = i + 1;
                return Ok(Some(Token::Word {
                    text: unescape(&b[start + 1..i]),
                    start,
                    end: i + 1,
                }));
            }
            _ => {}
        }
        let mut i = start;
        let mut variable = false;
        while i < b.len() {
            let c = b[i];
            if c == b'{' && variable {
                i += 1;
                variable = false;
                continue;
            }
            if c.is_ascii_whitespace() || c == b';' || c == b'{' {
                break;
            }
            variable = c == b'$';
            i += if c == b'\\' { 2 } else { 1 };
        }
        let end = i.min(b.len());
        self.pos = end;
        Ok(Some(Token::Word {
            text: unescape(&b[start..end]),
            start,
            end,
        }))
    }
}

/// nginx's escapes: `\"`, `\'`, `\\` drop the backslash, `\t` `\r` `\n` are control
/// characters, any other backslash is kept.
fn unescape(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && i + 1 < raw.len() {
            match raw[i + 1] {
                c @ (b'"' | b'\'' | b'\\') => {
                    out.push(c);
                    i += 2;
                    continue;
                }
                b't' => {
                    out.push(b'\t');
                    i += 2;
                    continue;
                }
                b'r' => {
                    out.push(b'\r');
                    i += 2;
                    continue;
                }
                b'n' => {
                    out.push(b'\n');
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parsing state shared by the checked file and the files it includes.
struct Builder<'a> {
    reader: &'a dyn Reader,
    sysroot: String,
    nodes: Vec<Node>,
    files: Vec<(String, String)>,
    problems: Vec<Problem>,
    too_many_reported: bool,
}

/// A statement being read: its words with their start and end offsets.
type Words = Vec<(String, usize, usize)>;

/// At most 40 characters of `text`, for messages.
fn short(text: &str) -> String {
    if text.chars().count() <= 40 {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(40).collect::<String>())
    }
}

impl Builder<'_> {
    fn problem(&mut self, file: usize, offset: usize, len: usize, message: String) {
        self.problems.push(Problem {
            site: Site { file, offset, len },
            message,
        });
    }

    fn add_node(&mut self, words: &mut Words, parent: usize, site: Site, block: bool) -> usize {
        let mut iter = words.drain(..).map(|(w, _, _)| w);
        let name = iter.next().unwrap_or_default();
        let args = iter.collect();
        let index = self.nodes.len();
        self.nodes.push(Node {
            name,
            args,
            site,
            parent,
            block,
            children: Vec::new(),
        });
        self.nodes[parent].children.push(index);
        index
    }

    /// Parses `files[file]` into children of `parent`; `chain` holds the files being
    /// included (for loops).
    fn parse_file(&mut self, file: usize, parent: usize, chain: &mut Vec<String>) {
        let text = self.files[file].1.clone();
        if let Some(nul) = text.find('\0') {
            self.problem(
                file,
                nul,
                1,
                "the file contains NUL bytes: not an nginx configuration".to_owned(),
            );
            return;
        }
        let mut lexer = Lexer {
            bytes: text.as_bytes(),
            pos: 0,
        };
        let mut open: Vec<usize> = vec![parent];
        let mut words: Words = Vec::new();
        // Blocks opened beyond MAX_NESTING: skipped until closed.
        let mut skipped = 0usize;
        loop {
            let token = match lexer.next_token() {
                Ok(Some(token)) => token,
                Ok(None) => break,
                Err((offset, message)) => {
                    self.problem(file, offset, 1, message);
                    words.clear();
                    break;
                }
            };
            if skipped > 0 {
                match token {
                    Token::Open(_) => skipped += 1,
                    Token::Close(_) => skipped -= 1,
                    _ => {}
                }
                continue;
            }
            match token {
                Token::Word { text, start, end } => words.push((text, start, end)),
                Token::Semicolon(at) => {
                    let Some(&(_, start, _)) = words.first() else {
                        self.problem(file, at, 1, "unexpected `;`".to_owned());
                        continue;
                    };
                    let site = Site {
                        file,
                        offset: start,
                        len: at + 1 - start,
                    };
                    let current = open.last().copied().unwrap_or(parent);
                    let node = self.add_node(&mut words, current, site, false);
                    if self.nodes[node].name == "include" {
                        self.include(node, current, chain);
                    }
                }
                Token::Open(at) => {
                    let start = words.first().map_or(at, |&(_, s, _)| s);
                    if words.is_empty() {
                        self.problem(file, at, 1, "unexpected `{`".to_owned());
                    }
                    if open.len() > MAX_NESTING {
                        self.problem(
                            file,
                            start,
                            at + 1 - start,
                            format!("blocks nested deeper than {MAX_NESTING} levels"),
                        );
                        words.clear();
                        skipped = 1;
                        continue;
                    }
                    let site = Site {
                        file,
                        offset: start,
                        len: at + 1 - start,
                    };
                    let current = open.last().copied().unwrap_or(parent);
                    let node = self.add_node(&mut words, current, site, true);
                    open.push(node);
                }
                Token::Close(at) => {
                    if let Some((name, start, _)) = words.first() {
                        let start = *start;
                        let message = format!("`{}` is not terminated by `;`", short(name));
                        self.problem(file, start, at - start, message);
                        words.clear();
                    }
                    if open.len() > 1 {
                        open.pop();
                    } else {
                        self.problem(file, at, 1, "unexpected `}`".to_owned());
                    }
                }
            }
        }
        if let Some((name, start, end)) = words.first() {
            let message = format!(
                "unexpected end of file: `{}` is not terminated by `;`",
                short(name)
            );
            let (start, len) = (*start, end - start);
            self.problem(file, start, len, message);
        }
        if open.len() > 1 {
            let innermost = open[open.len() - 1];
            let node = &self.nodes[innermost];
            let message = format!(
                "unexpected end of file: the `{}` block is not closed by `}}`",
                short(&describe(node))
            );
            let site = node.site;
            self.problems.push(Problem { site, message });
        }
    }

    /// Follows the `include` directive `node`, splicing the files into `parent`.
    fn include(&mut self, node: usize, parent: usize, chain: &mut Vec<String>) {
        let site = self.nodes[node].site;
        let [path] = self.nodes[node].args.as_slice() else {
            self.problems.push(Problem {
                site,
                message: "`include` takes exactly one path".to_owned(),
            });
            return;
        };
        let path = path.clone();
        if chain.len() > MAX_INCLUDE_DEPTH {
            self.problems.push(Problem {
                site,
                message: format!("includes nested deeper than {MAX_INCLUDE_DEPTH} levels"),
            });
            return;
        }
        let including = self.files[site.file].0.clone();
        let Some(candidates) = self.candidates(&path, &including) else {
            self.problems.push(Problem {
                site,
                message: format!("`include {path}` leads out of the repository"),
            });
            return;
        };
        let mut matched = Vec::new();
        let mut error = None;
        for candidate in candidates {
            if is_glob(&candidate) {
                let found = self.reader.glob(&candidate);
                if !found.is_empty() {
                    matched = found;
                    break;
                }
            } else {
                match self.reader.read(&candidate) {
                    Ok(_) => {
                        matched = vec![candidate];
                        break;
                    }
                    Err(message) => {
                        error.get_or_insert(message);
                    }
                }
            }
        }
        if matched.is_empty() {
            if let Some(message) = error {
                self.problems.push(Problem {
                    site,
                    message: format!("`include {path}`: {message}"),
                });
            }
            return;
        }
        for file in matched {
            if let Some(at) = chain.iter().position(|f| *f == file) {
                let mut cycle: Vec<String> = chain[at..].iter().map(|f| format!("`{f}`")).collect();
                cycle.push(format!("`{file}`"));
                self.problems.push(Problem {
                    site,
                    message: format!("include loop: {}", cycle.join(" → ")),
                });
                continue;
            }
            let index = if let Some(index) = self.files.iter().position(|(p, _)| *p == file) {
                index
            } else {
                if self.files.len() > MAX_INCLUDED_FILES {
                    if !self.too_many_reported {
                        self.too_many_reported = true;
                        self.problems.push(Problem {
                            site,
                            message: format!(
                                "more than {MAX_INCLUDED_FILES} included files; the rest is not checked"
                            ),
                        });
                    }
                    return;
                }
                match self.reader.read(&file) {
                    Ok(text) => {
                        self.files.push((file.clone(), text));
                        self.files.len() - 1
                    }
                    Err(message) => {
                        self.problems.push(Problem {
                            site,
                            message: format!("`include {path}`: {message}"),
                        });
                        continue;
                    }
                }
            };
            chain.push(file);
            self.parse_file(index, parent, chain);
            chain.pop();
        }
    }

    /// Repo-relative paths `path` may mean, in the order tried; `None` when one leads out
    /// of the repository.
    fn candidates(&self, path: &str, including: &str) -> Option<Vec<String>> {
        if path.starts_with('/') {
            let inside = normalise("", path.trim_start_matches('/'), true)?;
            return Some(vec![join(&self.sysroot, &inside)]);
        }
        let main_dir = parent_dir(&self.files[0].0);
        let prefix = join(&self.sysroot, "etc/nginx");
        let mut out: Vec<String> = Vec::new();
        for base in [main_dir, parent_dir(including), prefix.as_str()] {
            let candidate = normalise(base, path, false)?;
            if !out.contains(&candidate) {
                out.push(candidate);
            }
        }
        Some(out)
    }
}

fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

fn parent_dir(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

fn join(dir: &str, rel: &str) -> String {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() {
        rel.to_owned()
    } else if rel.is_empty() {
        dir.to_owned()
    } else {
        format!("{dir}/{rel}")
    }
}

/// `base/rel` with `.` and `..` resolved lexically; `None` when it climbs above `base`'s
/// root, unless `clamp` (an absolute path: `/..` is `/`).
fn normalise(base: &str, rel: &str, clamp: bool) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for segment in base.split('/').chain(rel.split('/')) {
        match segment {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() && !clamp {
                    return None;
                }
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// `name args` of a block, for messages and scopes (`server` by its first `server_name`).
fn describe(node: &Node) -> String {
    if node.args.is_empty() {
        node.name.clone()
    } else {
        format!("{} {}", node.name, node.args.join(" "))
    }
}

impl Data {
    /// Names of the blocks enclosing `node`, outermost first (the top level left out).
    fn chain(&self, node: usize) -> Vec<&str> {
        let mut names = Vec::new();
        let mut at = self.nodes[node].parent;
        while at != 0 {
            names.push(self.nodes[at].name.as_str());
            at = self.nodes[at].parent;
        }
        names.reverse();
        names
    }

    /// The scope of the block `level` (0: the top level): `None` for the top, `http` and
    /// `events`; otherwise `server example.com > location /api`.
    fn scope(&self, level: usize) -> Option<String> {
        let mut parts = Vec::new();
        let mut at = level;
        while at != 0 {
            let node = &self.nodes[at];
            match node.name.as_str() {
                "http" | "events" => {}
                "server" => {
                    let label = node
                        .children
                        .iter()
                        .map(|&c| &self.nodes[c])
                        .find(|c| !c.block && c.name == "server_name" && !c.args.is_empty())
                        .map(|c| c.args[0].clone())
                        .or_else(|| {
                            node.children
                                .iter()
                                .map(|&c| &self.nodes[c])
                                .find(|c| !c.block && c.name == "listen" && !c.args.is_empty())
                                .map(|c| format!("listen {}", c.args[0]))
                        });
                    parts
                        .push(label.map_or_else(|| "server".to_owned(), |l| format!("server {l}")));
                }
                _ => parts.push(describe(node)),
            }
            at = node.parent;
        }
        if parts.is_empty() {
            None
        } else {
            parts.reverse();
            Some(parts.join(" > "))
        }
    }

    /// Direct child directives of `level` named `name`.
    fn own(&self, level: usize, name: &str) -> Vec<usize> {
        self.nodes[level]
            .children
            .iter()
            .copied()
            .filter(|&c| !self.nodes[c].block && self.nodes[c].name == name)
            .collect()
    }

    /// Child blocks of `level` that continue the http inheritance chain.
    fn sublevels(&self, level: usize) -> Vec<usize> {
        self.nodes[level]
            .children
            .iter()
            .copied()
            .filter(|&c| {
                let node = &self.nodes[c];
                node.block && LEVELS.contains(&node.name.as_str())
            })
            .collect()
    }

    fn is_server(&self, level: usize) -> bool {
        level != 0 && self.nodes[level].name == "server"
    }

    /// Blocks that serve requests (where a missing entry is a hole).
    fn serves(&self, level: usize) -> bool {
        level != 0
            && matches!(
                self.nodes[level].name.as_str(),
                "server" | "location" | "if"
            )
    }

    /// The value of the directive `node`: its arguments joined by a space, or a list for
    /// `:`-separated OpenSSL lists.
    fn value(&self, node: usize) -> Value {
        let n = &self.nodes[node];
        if COLON_LISTS.contains(&n.name.as_str()) {
            return Value::Array(
                n.args
                    .join(":")
                    .split(':')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_owned()))
                    .collect(),
            );
        }
        Value::String(n.args.join(" "))
    }

    /// An entry of a keyed directive (`add_header Name value [always]`) without `always`.
    fn entry(&self, node: usize) -> Vec<&str> {
        let n = &self.nodes[node];
        let mut args: Vec<&str> = n.args.iter().map(String::as_str).collect();
        if matches!(n.name.as_str(), "add_header" | "add_trailer")
            && args.len() > 2
            && args.last().is_some_and(|a| *a == "always")
        {
            args.pop();
        }
        args
    }
}

/// A parsed lookup key: `[context/…/]name [first-argument]`.
struct Key<'a> {
    path: Option<Vec<&'a str>>,
    name: &'a str,
    sub: Option<&'a str>,
}

fn parse_key(key: &str) -> Key<'_> {
    let key = key.trim();
    let (head, sub) = match key.split_once(char::is_whitespace) {
        Some((head, rest)) if !rest.trim().is_empty() => (head, Some(rest.trim())),
        _ => (key, None),
    };
    match head.rsplit_once('/') {
        Some((path, name)) => Key {
            path: Some(
                path.split('/')
                    .filter(|s| !s.is_empty() && *s != "main")
                    .collect(),
            ),
            name,
            sub,
        },
        None => Key {
            path: None,
            name: head,
            sub,
        },
    }
}

fn path_matches(path: &[&str], chain: &[&str]) -> bool {
    path.len() == chain.len() && path.iter().zip(chain).all(|(p, c)| *p == "*" || p == c)
}

impl Data {
    /// Plain lookup: every occurrence; servers without it when it is only set in blocks.
    fn plain(&self, key: &Key<'_>) -> Vec<Found> {
        let mut found = Vec::new();
        let mut top = false;
        for (index, node) in self.nodes.iter().enumerate().skip(1) {
            if node.block || node.name != key.name {
                continue;
            }
            let chain = self.chain(index);
            if key.path.as_ref().is_some_and(|p| !path_matches(p, &chain)) {
                continue;
            }
            let scope = self.scope(node.parent);
            top |= scope.is_none();
            found.push(Found::Value(Observed {
                value: self.value(index),
                site: node.site,
                scope,
            }));
        }
        if !found.is_empty() && !top && key.path.is_none() {
            self.servers_without(key.name, 0, &mut found);
        }
        finish(found)
    }

    /// Every http `server` under `level` that does not set `name` itself.
    fn servers_without(&self, name: &str, level: usize, found: &mut Vec<Found>) {
        for sub in self.sublevels(level) {
            if self.is_server(sub) {
                if self.own(sub, name).is_empty() {
                    found.push(Found::Missing {
                        scope: self.scope(sub).unwrap_or_else(|| "server".to_owned()),
                        site: self.nodes[sub].site,
                    });
                }
            } else if self.nodes[sub].name == "http" {
                self.servers_without(name, sub, found);
            }
        }
    }

    /// One entry of an array-like directive, with nginx's all-or-nothing inheritance.
    fn keyed(&self, level: usize, name: &str, sub: &str, inherited: bool, out: &mut Vec<Found>) {
        let own = self.own(level, name);
        let has = if own.is_empty() {
            if !inherited && self.is_server(level) {
                out.push(Found::Missing {
                    scope: self.scope(level).unwrap_or_else(|| "server".to_owned()),
                    site: self.nodes[level].site,
                });
            }
            inherited
        } else {
            let matching: Vec<usize> = own
                .iter()
                .copied()
                .filter(|&n| {
                    self.nodes[n]
                        .args
                        .first()
                        .is_some_and(|a| a.eq_ignore_ascii_case(sub))
                })
                .collect();
            for &n in &matching {
                let value = self.entry(n)[1..].join(" ");
                out.push(Found::Value(Observed {
                    value: Value::String(value),
                    site: self.nodes[n].site,
                    scope: self.scope(level),
                }));
            }
            if matching.is_empty() && self.serves(level) {
                out.push(Found::Missing {
                    scope: self.scope(level).unwrap_or_else(|| "http".to_owned()),
                    site: self.nodes[own[0]].site,
                });
            }
            !matching.is_empty()
        };
        for child in self.sublevels(level) {
            self.keyed(child, name, sub, has, out);
        }
    }

    /// Every entry of a keyed directive in force at each level that defines its own.
    fn entries(&self, level: usize, name: &str, inherited: bool, out: &mut Vec<Found>) {
        let own = self.own(level, name);
        let has = if own.is_empty() {
            if !inherited && self.is_server(level) {
                out.push(Found::Missing {
                    scope: self.scope(level).unwrap_or_else(|| "server".to_owned()),
                    site: self.nodes[level].site,
                });
            }
            inherited
        } else {
            let value = own
                .iter()
                .map(|&n| Value::String(self.entry(n).join(" ")))
                .collect();
            out.push(Found::Value(Observed {
                value: Value::Array(value),
                site: self.nodes[own[0]].site,
                scope: self.scope(level),
            }));
            true
        };
        for child in self.sublevels(level) {
            self.entries(child, name, has, out);
        }
    }
}

/// Global values first, then narrower scopes (each in file order); nothing when no value
/// exists at all (the key is not set anywhere).
fn finish(mut found: Vec<Found>) -> Vec<Found> {
    if !found.iter().any(|f| matches!(f, Found::Value(_))) {
        return Vec::new();
    }
    found.sort_by_key(|f| !matches!(f, Found::Value(Observed { scope: None, .. })));
    found
}

impl Format for Nginx {
    fn parse(&self, input: &Input<'_>, reader: &dyn Reader) -> Parsed {
        let mut builder = Builder {
            reader,
            sysroot: input.sysroot.trim_matches('/').to_owned(),
            nodes: vec![Node {
                name: "main".to_owned(),
                args: Vec::new(),
                site: Site {
                    file: 0,
                    offset: 0,
                    len: 0,
                },
                parent: 0,
                block: true,
                children: Vec::new(),
            }],
            files: vec![(input.path.to_owned(), input.text.to_owned())],
            problems: Vec::new(),
            too_many_reported: false,
        };
        let mut chain = vec![input.path.to_owned()];
        builder.parse_file(0, 0, &mut chain);
        Parsed {
            files: builder.files,
            problems: builder.problems,
            data: Box::new(Data {
                nodes: builder.nodes,
            }),
        }
    }

    fn lookup(&self, parsed: &Parsed, key: &str) -> Vec<Found> {
        let Some(data) = parsed.data.downcast_ref::<Data>() else {
            return Vec::new();
        };
        let key = parse_key(key);
        if key.name.is_empty() {
            return Vec::new();
        }
        if key.path.is_some() {
            // A context path selects occurrences; the rest of the key filters entries.
            let found = data.plain(&key);
            return match key.sub {
                None => found,
                Some(sub) => found
                    .into_iter()
                    .filter_map(|f| match f {
                        Found::Value(mut o) => {
                            let text = o.value.as_str().unwrap_or_default().to_owned();
                            let (first, rest) = text.split_once(' ').unwrap_or((&text, ""));
                            if !first.eq_ignore_ascii_case(sub) {
                                return None;
                            }
                            let rest = rest.strip_suffix(" always").unwrap_or(rest);
                            o.value = Value::String(rest.to_owned());
                            Some(Found::Value(o))
                        }
                        Found::Missing { .. } => None,
                    })
                    .collect(),
            };
        }
        let mut found = Vec::new();
        match key.sub {
            Some(sub) => data.keyed(0, key.name, sub, false, &mut found),
            None if KEYED.contains(&key.name) => data.entries(0, key.name, false, &mut found),
            None => return data.plain(&key),
        }
        finish(found)
    }

    fn placement(&self, key: &str) -> String {
        let key = parse_key(key);
        let shown = match key.sub {
            Some(sub) => format!("{} {sub} …;", key.name),
            None => format!("{} …;", key.name),
        };
        let block = match &key.path {
            Some(path) => path.last().copied().unwrap_or("main").to_owned(),
            None => match key.name {
                "user"
                | "worker_processes"
                | "pid"
                | "error_log"
                | "worker_rlimit_nofile"
                | "load_module"
                | "daemon"
                | "env" => "main".to_owned(),
                "worker_connections" | "use" | "multi_accept" => "events".to_owned(),
                _ => "http".to_owned(),
            },
        };
        let mut help = if block == "main" {
            format!("add `{shown}` at the top level")
        } else {
            format!("add `{shown}` to the `{block}` block")
        };
        if key.path.is_none() && (key.sub.is_some() || KEYED.contains(&key.name)) {
            help.push_str(&format!(
                " and to every server or location block that has its own `{}`",
                key.name
            ));
        }
        help
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::conform::testing::MemoryReader as Files;

    fn parse_with(text: &str, files: &[(&str, &str)], sysroot: &str) -> Parsed {
        let reader = Files::of(files);
        Nginx.parse(
            &Input {
                path: "etc/nginx/nginx.conf",
                text,
                sysroot,
            },
            &reader,
        )
    }

    fn parse(text: &str) -> Parsed {
        parse_with(text, &[], "")
    }

    /// `(value, scope, line)` or `(MISSING, scope, line)` of each found item.
    fn summary(parsed: &Parsed, key: &str) -> Vec<(String, String, usize)> {
        Nginx
            .lookup(parsed, key)
            .into_iter()
            .map(|f| {
                let (value, scope, site) = match f {
                    Found::Value(o) => (
                        super::super::value::show(&o.value),
                        o.scope.unwrap_or_default(),
                        o.site,
                    ),
                    Found::Missing { scope, site } => ("MISSING".to_owned(), scope, site),
                };
                let text = &parsed.files[site.file].1;
                (value, scope, text[..site.offset].matches('\n').count() + 1)
            })
            .collect()
    }

    fn messages(parsed: &Parsed) -> Vec<String> {
        parsed.problems.iter().map(|p| p.message.clone()).collect()
    }

    #[test]
    fn directives_blocks_comments_and_quotes() {
        let p = parse(concat!(
            "user www-data; # comment\n",
            "http {\n",
            "  server_tokens off;\n",
            "  ssl_ciphers 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384';\n",
            "  add_header X-XSS-Protection \"1; mode=block\" always;\n",
            "  log_format main \"a \\\"b\\\" ${host}\";\n",
            "  server { server_name example.com; location /api { server_tokens on; } }\n",
            "}\n",
        ));
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(summary(&p, "user"), [("www-data".into(), String::new(), 1)]);
        assert_eq!(
            summary(&p, "server_tokens"),
            [
                ("off".into(), String::new(), 3),
                ("on".into(), "server example.com > location /api".into(), 7),
            ]
        );
        assert_eq!(
            summary(&p, "ssl_ciphers")[0].0,
            "ECDHE-RSA-AES128-GCM-SHA256,ECDHE-ECDSA-AES256-GCM-SHA384"
        );
        assert_eq!(
            summary(&p, "add_header X-XSS-Protection"),
            [("1; mode=block".into(), String::new(), 5)]
        );
        assert_eq!(summary(&p, "log_format")[0].0, "main a \"b\" ${host}");
        assert_eq!(summary(&p, "http/server_tokens").len(), 1);
        assert_eq!(summary(&p, "http/server/location/server_tokens").len(), 1);
        assert_eq!(summary(&p, "main/user").len(), 1);
        assert!(summary(&p, "http/user").is_empty());
        assert!(summary(&p, "nope").is_empty());
    }

    #[test]
    fn a_location_with_its_own_add_header_drops_the_inherited_ones() {
        let p = parse(concat!(
            "http {\n",
            "  add_header X-Frame-Options DENY;\n",
            "  add_header X-Content-Type-Options nosniff;\n",
            "  server {\n",
            "    listen 80;\n",
            "    location / { }\n",
            "    location /api {\n",
            "      add_header Cache-Control no-store;\n",
            "    }\n",
            "    location /x { add_header x-frame-options SAMEORIGIN; }\n",
            "  }\n",
            "  server { server_name b; add_header X-Frame-Options DENY; }\n",
            "}\n",
        ));
        assert_eq!(
            summary(&p, "add_header X-Frame-Options"),
            [
                ("DENY".into(), String::new(), 2),
                (
                    "MISSING".into(),
                    "server listen 80 > location /api".into(),
                    8
                ),
                (
                    "SAMEORIGIN".into(),
                    "server listen 80 > location /x".into(),
                    10
                ),
                ("DENY".into(), "server b".into(), 12),
            ]
        );
        assert_eq!(
            summary(&p, "add_header"),
            [
                (
                    "X-Frame-Options DENY,X-Content-Type-Options nosniff".into(),
                    String::new(),
                    2
                ),
                (
                    "Cache-Control no-store".into(),
                    "server listen 80 > location /api".into(),
                    8
                ),
                (
                    "x-frame-options SAMEORIGIN".into(),
                    "server listen 80 > location /x".into(),
                    10
                ),
                ("X-Frame-Options DENY".into(), "server b".into(), 12),
            ]
        );
        assert!(summary(&p, "add_header Referrer-Policy").is_empty());
    }

    #[test]
    fn servers_without_the_header_or_directive_are_missing() {
        let p = parse(concat!(
            "http {\n",
            "  server { server_name a; add_header X-Frame-Options DENY; server_tokens off; }\n",
            "  server { server_name b; location / { } }\n",
            "}\n",
        ));
        assert_eq!(
            summary(&p, "add_header X-Frame-Options"),
            [
                ("DENY".into(), "server a".into(), 2),
                ("MISSING".into(), "server b".into(), 3),
            ]
        );
        assert_eq!(
            summary(&p, "server_tokens"),
            [
                ("off".into(), "server a".into(), 2),
                ("MISSING".into(), "server b".into(), 3),
            ]
        );
    }

    #[test]
    fn includes_absolute_relative_and_glob() {
        let files = [
            ("deploy/etc/nginx/conf.d/a.conf", "server_tokens off;\n"),
            (
                "deploy/etc/nginx/conf.d/b.conf",
                "server { server_name b; include snippets/h.conf; }\n",
            ),
            (
                "deploy/etc/nginx/snippets/h.conf",
                "add_header X-Frame-Options DENY;\n",
            ),
            ("deploy/etc/nginx/mime.types", "types { text/html html; }\n"),
        ];
        let reader = Files::of(&files);
        let p = Nginx.parse(
            &Input {
                path: "deploy/etc/nginx/nginx.conf",
                text: "http {\n include mime.types;\n include /etc/nginx/conf.d/*.conf;\n include /etc/nginx/none/*.conf;\n}\n",
                sysroot: "deploy",
            },
            &reader,
        );
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let paths: Vec<&str> = p.files.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            paths,
            [
                "deploy/etc/nginx/nginx.conf",
                "deploy/etc/nginx/mime.types",
                "deploy/etc/nginx/conf.d/a.conf",
                "deploy/etc/nginx/conf.d/b.conf",
                "deploy/etc/nginx/snippets/h.conf",
            ]
        );
        let found = Nginx.lookup(&p, "server_tokens");
        let Found::Value(o) = &found[0] else { panic!() };
        assert_eq!((o.site.file, o.scope.as_deref()), (2, None));
        assert_eq!(
            summary(&p, "add_header X-Frame-Options"),
            [("DENY".into(), "server b".into(), 1)]
        );
    }

    #[test]
    fn include_problems_are_located() {
        let files = [
            ("etc/nginx/a.conf", "include b.conf;\n"),
            ("etc/nginx/b.conf", "include a.conf;\n"),
        ];
        let p = parse_with(
            "include a.conf;\ninclude missing.conf;\ninclude ../../../x.conf;\ninclude /../etc/nginx/a.conf;\ninclude;\n",
            &files,
            "",
        );
        assert_eq!(
            messages(&p),
            [
                "include loop: `etc/nginx/a.conf` → `etc/nginx/b.conf` → `etc/nginx/a.conf`",
                "`include missing.conf`: `etc/nginx/missing.conf` does not exist",
                "`include ../../../x.conf` leads out of the repository",
                "include loop: `etc/nginx/a.conf` → `etc/nginx/b.conf` → `etc/nginx/a.conf`",
                "`include` takes exactly one path",
            ]
        );
        assert_eq!(p.problems[0].site.file, 2);
        assert_eq!(p.problems[1].site.offset, 16);
    }

    #[test]
    fn self_include_and_deep_chains_stop() {
        let p = parse_with(
            "include nginx.conf;\n",
            &[("etc/nginx/nginx.conf", "include nginx.conf;\n")],
            "",
        );
        assert_eq!(
            messages(&p),
            ["include loop: `etc/nginx/nginx.conf` → `etc/nginx/nginx.conf`"]
        );
        let chain: Vec<(String, String)> = (0..40)
            .map(|i| {
                (
                    format!("etc/nginx/{i}.conf"),
                    format!("include {}.conf;\n", i + 1),
                )
            })
            .collect();
        let refs: Vec<(&str, &str)> = chain
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let p = parse_with("include 0.conf;\n", &refs, "");
        assert_eq!(messages(&p), ["includes nested deeper than 16 levels"]);
    }

    #[test]
    fn too_many_included_files_stop() {
        let files: Vec<(String, String)> = (0..300)
            .map(|i| (format!("etc/nginx/conf.d/{i:03}.conf"), "a b;\n".to_owned()))
            .collect();
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let p = parse_with("include conf.d/*.conf;\n", &refs, "");
        assert_eq!(
            messages(&p),
            ["more than 256 included files; the rest is not checked"]
        );
        assert_eq!(p.files.len(), MAX_INCLUDED_FILES + 1);
    }

    #[test]
    fn a_site_file_checked_alone_finds_snippets_under_etc_nginx() {
        let files = [(
            "srv/etc/nginx/snippets/h.conf",
            "add_header X-Frame-Options DENY;\n",
        )];
        let reader = Files::of(&files);
        let p = Nginx.parse(
            &Input {
                path: "srv/etc/nginx/sites-enabled/app",
                text: "server {\n listen 443 ssl;\n include snippets/h.conf;\n if ($bad) { add_header X-Other 1; }\n}\n",
                sysroot: "srv",
            },
            &reader,
        );
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(
            summary(&p, "add_header X-Frame-Options"),
            [
                ("DENY".into(), "server listen 443".into(), 1),
                ("MISSING".into(), "server listen 443 > if ($bad)".into(), 4),
            ]
        );
        assert_eq!(summary(&p, "server/add_header X-Frame-Options").len(), 1);
        assert!(summary(&p, "http/add_header X-Frame-Options").is_empty());
        assert_eq!(summary(&p, "*/if/add_header")[0].0, "X-Other 1");
    }

    #[test]
    fn syntax_errors_are_problems() {
        let p = parse("http {\n  server_tokens off\n}\n}\n;\n{ }\nlisten 80");
        assert_eq!(
            messages(&p),
            [
                "`server_tokens` is not terminated by `;`",
                "unexpected `}`",
                "unexpected `;`",
                "unexpected `{`",
                "unexpected end of file: `listen` is not terminated by `;`",
            ]
        );
        let p = parse("http {\n server {\n location / {\n");
        assert_eq!(
            messages(&p),
            ["unexpected end of file: the `location /` block is not closed by `}`"]
        );
        let p = parse("add_header X \"unterminated;\n");
        assert_eq!(messages(&p), ["unterminated quoted string"]);
        let p = parse("a b;\0\0binary");
        assert_eq!(
            messages(&p),
            ["the file contains NUL bytes: not an nginx configuration"]
        );
    }

    #[test]
    fn garbage_never_panics() {
        let deep = "a {".repeat(100_000);
        let long = "x".repeat(1_000_000);
        let inputs = [
            deep.as_str(),
            long.as_str(),
            "}}}}{{{{;;;;",
            "\\",
            "a \\",
            "'",
            "\"\\",
            "${",
            "a ${;",
            "# only a comment",
            "é ü { ß; } 字 '字",
            "\u{feff}server { listen 80; }",
        ];
        for input in inputs {
            let p = parse(input);
            for key in [
                "a",
                "add_header X",
                "add_header",
                "http/a",
                "/",
                "",
                " ",
                "x/",
            ] {
                let _ = Nginx.lookup(&p, key);
            }
            for (i, (_, text)) in p.files.iter().enumerate() {
                for problem in p.problems.iter().filter(|q| q.site.file == i) {
                    assert!(problem.site.offset + problem.site.len <= text.len());
                    assert!(text.is_char_boundary(problem.site.offset));
                }
            }
        }
        assert_eq!(messages(&parse(&deep)).len(), 2);
    }

    #[test]
    fn placement_names_the_block() {
        assert_eq!(
            Nginx.placement("server_tokens"),
            "add `server_tokens …;` to the `http` block"
        );
        assert_eq!(
            Nginx.placement("worker_processes"),
            "add `worker_processes …;` at the top level"
        );
        assert_eq!(
            Nginx.placement("add_header X-Frame-Options"),
            "add `add_header X-Frame-Options …;` to the `http` block and to every server or location block that has its own `add_header`"
        );
        assert_eq!(
            Nginx.placement("events/worker_connections"),
            "add `worker_connections …;` to the `events` block"
        );
    }
}
