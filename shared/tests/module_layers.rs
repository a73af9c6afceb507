//! The domain crate's modules do not import each other in circles (docs/architecture.md,
//! "Layout"): read from the sources, a `crate::…` or `super::…` path names the module file it
//! lands in, and that graph, test code left out, has no cycle — neither among the top-level
//! modules (`store`, `tenants`, `erasure`, …) nor among module files. A module's `mod.rs`
//! declaring its children is not an import; a child naming its parent is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`store/dynamo`, `tenants/admin`, `` for lib.rs) → the file's code, tests cut.
fn modules() -> BTreeMap<String, (PathBuf, String)> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, (PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).expect("shared/src") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(&path, root, out);
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let Some(module) = rel.strip_suffix(".rs") else {
                continue;
            };
            if module == "tests" || module.ends_with("/tests") {
                continue;
            }
            let module = match module {
                "lib" => String::new(),
                m => m.strip_suffix("/mod").unwrap_or(m).to_owned(),
            };
            let source = std::fs::read_to_string(&path).unwrap();
            let code = match source.find("#[cfg(test)]\nmod tests {") {
                Some(at) => source[..at].to_owned(),
                None => source,
            };
            let code: String = code
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            out.insert(module, (path, code));
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    out
}

/// Every path after `crate::` or `super::`, as its segments, with `{a, b}` groups expanded
/// one level (`use super::{x, y}`).
fn paths(code: &str) -> Vec<(bool, Vec<String>)> {
    let mut found = Vec::new();
    for anchor in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(at) = rest.find(anchor) {
            let preceded = rest[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
            rest = &rest[at + anchor.len()..];
            if preceded {
                continue;
            }
            let mut segments = Vec::new();
            let mut tail = rest;
            loop {
                let end = tail
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(tail.len());
                if end == 0 {
                    break;
                }
                segments.push(tail[..end].to_owned());
                tail = &tail[end..];
                match tail.strip_prefix("::") {
                    Some(t) => tail = t,
                    None => break,
                }
            }
            if let Some(group) = tail.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for name in group.split(',') {
                    let name = name.trim().split("::").next().unwrap_or("").trim();
                    if !name.is_empty() && name != "self" {
                        let mut s = segments.clone();
                        s.push(name.to_owned());
                        found.push((anchor == "crate::", s));
                    }
                }
            }
            found.push((anchor == "crate::", segments));
        }
    }
    found
}

/// The module file each module's paths land in (the longest prefix that is a module).
fn graph(modules: &BTreeMap<String, (PathBuf, String)>) -> BTreeMap<String, BTreeSet<String>> {
    let resolve = |segments: &[String]| {
        (1..=segments.len())
            .rev()
            .map(|k| segments[..k].join("/"))
            .find(|m| modules.contains_key(m))
    };
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, (path, code)) in modules {
        let is_dir = path.ends_with("mod.rs") || path.ends_with("lib.rs");
        let mut own: Vec<String> = module
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if !is_dir {
            own.pop();
        }
        // `super` of a mod.rs is its parent directory's module; of a file, its directory's.
        let parent: Vec<String> = if is_dir {
            own[..own.len().saturating_sub(1)].to_vec()
        } else {
            own.clone()
        };
        for (from_crate, segments) in paths(code) {
            let full: Vec<String> = if from_crate {
                segments
            } else {
                parent.iter().cloned().chain(segments).collect()
            };
            if let Some(target) = resolve(&full).filter(|t| t != module) {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    edges
}

/// A cycle through `start`, if there is one: `start`, …, `start`.
fn cycle_through(edges: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_owned(), vec![start.to_owned()])];
    let mut seen = BTreeSet::new();
    while let Some((at, path)) = stack.pop() {
        for next in edges.get(&at).into_iter().flatten() {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(start.to_owned());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut p = path.clone();
                p.push(next.clone());
                stack.push((next.clone(), p));
            }
        }
    }
    None
}

/// Every cycle of `edges`, one through each module on it, named in the failure.
#[track_caller]
fn assert_acyclic(edges: &BTreeMap<String, BTreeSet<String>>) {
    let cycles: Vec<String> = edges
        .keys()
        .filter_map(|m| cycle_through(edges, m))
        .map(|c| c.join(" → "))
        .collect();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn no_two_module_files_import_each_other_in_a_circle() {
    let modules = modules();
    assert!(
        modules.len() > 50,
        "only {} module files read",
        modules.len()
    );
    let edges = graph(&modules);
    assert!(
        edges["store/analysis"].contains("store/dynamo"),
        "the reading of paths finds a known import"
    );
    assert_acyclic(&edges);
}

#[test]
fn no_two_top_level_modules_import_each_other_in_a_circle() {
    let modules = modules();
    let top = |m: &str| m.split('/').next().unwrap_or("").to_owned();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, targets) in graph(&modules) {
        for to in targets {
            if !from.is_empty() && !to.is_empty() && top(&from) != top(&to) {
                edges.entry(top(&from)).or_default().insert(top(&to));
            }
        }
    }
    assert!(
        edges["tenants"].contains("store"),
        "tenants read through the store's codec"
    );
    assert_acyclic(&edges);
}
