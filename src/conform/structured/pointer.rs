//! Keys of the structured formats: parsing (`a | b` alternatives, `{x,y}` expansion, JSON
//! Pointer segments with `*` wildcards) and evaluation over a [`Document`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::conform::{Found, Observed, Site};

use super::{Document, Kind, Node, Syntax, ini};

/// Most pointers one key may expand to.
const MAX_EXPANSIONS: usize = 512;

/// One pointer segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Segment {
    name: String,
    /// `*`: every array item or map entry.
    wild: bool,
    /// Named in the scope (the last segment, chosen among `{…}` alternatives).
    named: bool,
}

/// Pointers looked up together (the expansions of one alternative).
pub(super) type Alternative = Vec<Vec<Segment>>;

/// Most compiled keys kept per thread (a repository has as many as its settings).
const MAX_CACHED: usize = 4096;

/// Compiled keys by syntax and key.
type Compiled = HashMap<Syntax, HashMap<String, Rc<Vec<Alternative>>>>;

thread_local! {
    /// Every file a baseline targets looks up the same keys: compile each once per thread.
    static COMPILED: RefCell<Compiled> = RefCell::new(HashMap::new());
}

/// [`compile`], remembered per thread.
pub(super) fn compiled(key: &str, syntax: Syntax) -> Rc<Vec<Alternative>> {
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        let keys = cache.entry(syntax).or_default();
        if let Some(found) = keys.get(key) {
            return Rc::clone(found);
        }
        if keys.len() >= MAX_CACHED {
            keys.clear();
        }
        let alternatives = Rc::new(compile(key, syntax));
        keys.insert(key.to_owned(), Rc::clone(&alternatives));
        alternatives
    })
}

/// The alternatives of `key`, in order.
pub(super) fn compile(key: &str, syntax: Syntax) -> Vec<Alternative> {
    let mut out = Vec::new();
    for part in key.split('|').map(str::trim).filter(|p| !p.is_empty()) {
        if part.starts_with('/') {
            out.push(
                expand(part)
                    .iter()
                    .map(|p| segments(p, last_is_chosen(part)))
                    .collect(),
            );
        } else if syntax == Syntax::Ini {
            // `section.key` (the section is the part before some dot), else a global key.
            for (section, name) in ini::splits(part) {
                out.push(vec![vec![literal(section), literal(name)]]);
            }
            out.push(vec![vec![literal(part)]]);
        } else {
            out.push(vec![vec![literal(part)]]);
        }
    }
    out
}

fn literal(name: &str) -> Segment {
    Segment {
        name: name.to_owned(),
        wild: false,
        named: false,
    }
}

fn last_is_chosen(pointer: &str) -> bool {
    pointer.rsplit('/').next().is_some_and(|s| s.contains('{'))
}

fn segments(pointer: &str, name_last: bool) -> Vec<Segment> {
    let raw: Vec<&str> = pointer.split('/').skip(1).collect();
    let count = raw.len();
    raw.into_iter()
        .enumerate()
        .map(|(i, s)| Segment {
            name: s.replace("~1", "/").replace("~0", "~"),
            wild: s == "*",
            named: name_last && i + 1 == count,
        })
        .collect()
}

/// `{a,b}` groups expanded, left to right; unbalanced braces are literal.
fn expand(pattern: &str) -> Vec<String> {
    let mut done = Vec::new();
    let mut todo = vec![pattern.to_owned()];
    while let Some(p) = todo.pop() {
        let group = p
            .find('{')
            .and_then(|open| p[open..].find('}').map(|close| (open, open + close)));
        match group {
            Some((open, close)) if done.len() + todo.len() < MAX_EXPANSIONS => {
                for option in p[open + 1..close].split(',').rev() {
                    todo.push(format!("{}{option}{}", &p[..open], &p[close + 1..]));
                }
            }
            _ => done.push(p),
        }
    }
    done
}

/// Everything `alternative` finds in `document`: values, and the wildcard items lacking the
/// rest of a pointer. `text` is the checked file (for the length of a missing item's line).
pub(super) fn evaluate(
    document: &Document,
    alternative: &Alternative,
    fold: bool,
    text: &str,
) -> Vec<Found> {
    let mut walk = Walk {
        document,
        fold,
        text,
        out: Vec::new(),
    };
    for pointer in alternative {
        walk.step(&document.root, pointer, 0, &mut Vec::new(), None);
    }
    if walk.out.len() <= 1 {
        // Nothing to deduplicate (the common case: one pointer, no wildcard).
        return walk.out.into_iter().map(|(_, f)| f).collect();
    }
    // An item one expansion found a value under is not missing what another looked for
    // (`/volumes/*/{hostPath,nfs}`); each site is reported once.
    let found_under: std::collections::BTreeSet<usize> = walk
        .out
        .iter()
        .filter(|(_, f)| matches!(f, Found::Value(_)))
        .filter_map(|(item, _)| *item)
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    walk.out
        .into_iter()
        .filter(|(_, f)| {
            let (site, missing) = match f {
                Found::Value(o) => (o.site, false),
                Found::Missing { site, .. } => (*site, true),
            };
            !(missing && found_under.contains(&site.offset))
                && seen.insert((site.offset, site.len, missing))
        })
        .map(|(_, f)| f)
        .collect()
}

struct Walk<'a> {
    document: &'a Document,
    fold: bool,
    text: &'a str,
    /// What was found, with the offset of the innermost wildcard item it is under.
    out: Vec<(Option<usize>, Found)>,
}

/// The innermost wildcard item so far, and the scope parts up to it.
type Item<'n> = Option<(&'n Node, Vec<String>)>;

impl Walk<'_> {
    fn scope(&self, parts: &[String]) -> Option<String> {
        let all: Vec<&str> = self
            .document
            .label
            .iter()
            .map(String::as_str)
            .chain(parts.iter().map(String::as_str))
            .collect();
        (!all.is_empty()).then(|| all.join(" "))
    }

    fn missing(&mut self, item: Item<'_>) {
        let Some((node, parts)) = item else {
            return;
        };
        let rest = self.text.get(node.offset..).unwrap_or_default();
        let line = rest.find('\n').unwrap_or(rest.len()).min(node.len.max(1));
        let scope = self
            .scope(&parts)
            .unwrap_or_else(|| "the document".to_owned());
        self.out.push((
            Some(node.offset),
            Found::Missing {
                scope,
                site: Site {
                    file: 0,
                    offset: node.offset,
                    len: line.min(rest.len()),
                },
            },
        ));
    }

    fn step<'n>(
        &mut self,
        node: &'n Node,
        pointer: &[Segment],
        at: usize,
        parts: &mut Vec<String>,
        item: Item<'n>,
    ) {
        let Some(segment) = pointer.get(at) else {
            let found = Found::Value(Observed {
                value: node.to_json(),
                site: node.site(),
                scope: self.scope(parts),
            });
            self.out.push((item.map(|(i, _)| i.offset), found));
            return;
        };
        let parent = at
            .checked_sub(1)
            .and_then(|p| pointer.get(p))
            .filter(|p| !p.wild)
            .map(|p| p.name.as_str());
        if segment.wild {
            match &node.kind {
                Kind::Seq(items) => {
                    for (i, child) in items.iter().enumerate() {
                        let id = child
                            .text("name")
                            .map_or_else(|| i.to_string(), str::to_owned);
                        parts.push(
                            parent.map_or_else(|| id.clone(), |p| format!("{} {id}", singular(p))),
                        );
                        let here = Some((child, parts.clone()));
                        self.step(child, pointer, at + 1, parts, here);
                        parts.pop();
                    }
                }
                Kind::Map(entries) => {
                    for (key, child) in entries {
                        parts.push(parent.map_or_else(|| key.clone(), |p| format!("{p} {key}")));
                        let here = Some((child, parts.clone()));
                        self.step(child, pointer, at + 1, parts, here);
                        parts.pop();
                    }
                }
                _ => self.missing(item),
            }
            return;
        }
        let child = match &node.kind {
            Kind::Map(_) => node.member(&segment.name, self.fold),
            Kind::Seq(items) => segment
                .name
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i)),
            _ => None,
        };
        match child {
            Some(child) => {
                if segment.named {
                    parts.push(segment.name.clone());
                }
                self.step(child, pointer, at + 1, parts, item);
                if segment.named {
                    parts.pop();
                }
            }
            None => self.missing(item),
        }
    }
}

/// `containers` → `container`.
fn singular(name: &str) -> &str {
    match name.strip_suffix('s') {
        Some(stem) if !stem.is_empty() && !stem.ends_with('s') => stem,
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_expand_in_order_and_bound() {
        assert_eq!(
            expand("/spec{,/template/spec}/{containers,initContainers}/*"),
            [
                "/spec/containers/*",
                "/spec/initContainers/*",
                "/spec/template/spec/containers/*",
                "/spec/template/spec/initContainers/*",
            ]
        );
        assert_eq!(expand("/a{b"), ["/a{b"]);
        assert!(expand(&"/{a,b,c,d}".repeat(20)).len() <= MAX_EXPANSIONS + 4);
    }

    #[test]
    fn keys_compile_per_syntax() {
        let alternatives = compile("/a/~1b/* | icc", Syntax::Json);
        assert_eq!(alternatives.len(), 2);
        assert_eq!(alternatives[0][0][1].name, "/b");
        assert!(alternatives[0][0][2].wild);
        assert_eq!(alternatives[1][0], vec![literal("icc")]);
        let ini = compile("Session.session.cookie_secure", Syntax::Ini);
        assert_eq!(
            ini[0][0],
            vec![literal("Session"), literal("session.cookie_secure")]
        );
        assert_eq!(
            ini.last().unwrap()[0],
            vec![literal("Session.session.cookie_secure")]
        );
    }
}
