//! The fake GitHub's modules (`slipway-testkit/src/github/*.rs`) import each other in one
//! direction only: the server dispatches to the API and transfer handlers, which answer through
//! `ctx` and never import the server back; the state (`model`) holds armed faults, and `fault`
//! never imports the state. This test reads each module's `use super::…` / `use crate::github::…`
//! lines (and inline `super::<module>::` paths) and fails on a cycle. `mod.rs`, the parent that
//! declares the modules and holds the test's handle, is the root and not part of the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use slipway_checks::repo_root;

type Graph = BTreeMap<String, BTreeSet<String>>;

fn github_dir() -> PathBuf {
    repo_root().join("crates/slipway-testkit/src/github")
}

/// The sibling modules a file's code names: `use super::{a, b::X}`, `use crate::github::a`, and
/// inline `super::a::…` paths. Comments and names that are not modules are ignored.
fn imports(source: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let code: String = source
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = BTreeSet::new();
    for prefix in ["super::", "crate::github::"] {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(prefix) {
            rest = &rest[at + prefix.len()..];
            let names = if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                group[..end].split(',').map(str::to_owned).collect()
            } else {
                vec![rest.to_owned()]
            };
            for name in names {
                let head: String = name
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if modules.contains(&head) {
                    found.insert(head);
                }
            }
        }
    }
    found
}

fn module_graph() -> Graph {
    let mut sources = BTreeMap::new();
    for entry in std::fs::read_dir(github_dir()).expect("the fake GitHub's sources") {
        let path = entry.unwrap().path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs") && stem != "mod" {
            sources.insert(stem.to_owned(), std::fs::read_to_string(&path).unwrap());
        }
    }
    let modules: BTreeSet<String> = sources.keys().cloned().collect();
    sources
        .iter()
        .map(|(name, src)| {
            let mut deps = imports(src, &modules);
            deps.remove(name);
            (name.clone(), deps)
        })
        .collect()
}

/// A cycle of the graph as `a -> b -> a`, if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_fake_githubs_modules_form_a_dag() {
    let graph = module_graph();
    for expected in ["api", "ctx", "fault", "model", "server", "transfer", "wire"] {
        assert!(
            graph.contains_key(expected),
            "module `{expected}` not found under {}\nhint: update this test's list of modules",
            github_dir().display()
        );
    }
    assert!(graph["server"].contains("api") && graph["server"].contains("transfer"));
    assert!(graph["model"].contains("fault"));
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "the fake GitHub's modules import each other in a circle: `{}`\n\
             hint: move what both sides need to a lower module (`ctx`, `wire`) so imports go one way",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn the_parser_sees_grouped_inline_and_crate_paths() {
    let modules: BTreeSet<String> = ["a", "b", "c", "d"].map(String::from).into();
    let src = "use super::{a, b::X};\n// use super::d;\nfn f() { crate::github::c::g(); super::Shared; }\n";
    let want: BTreeSet<String> = ["a", "b", "c"].map(String::from).into();
    assert_eq!(imports(src, &modules), want);
}

#[test]
fn a_planted_circle_is_found() {
    let graph: Graph = [
        ("api", vec!["ctx", "server"]),
        ("ctx", vec![]),
        ("server", vec!["ctx", "api"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(String::from).collect()))
    .collect();
    let cycle = find_cycle(&graph).expect("a cycle");
    assert_eq!(cycle, ["api", "server", "api"]);
    let mut acyclic = graph.clone();
    acyclic.get_mut("api").unwrap().remove("server");
    assert_eq!(find_cycle(&acyclic), None);
}
