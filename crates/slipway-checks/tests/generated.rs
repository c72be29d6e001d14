//! action.yml files and the README's input/output tables are generated from each tool's
//! declarations; this test fails when they drift (`SLIPWAY_BLESS=1` rewrites them).

use std::fs;

use slipway_checks::{repo_root, runs, tools, umbrella_runs};
use slipway_runner::docs::umbrella_action_yml;

fn bless() -> bool {
    std::env::var("SLIPWAY_BLESS").is_ok_and(|v| v == "1")
}

#[test]
fn action_yml_files_match_the_declarations() {
    let mut stale = Vec::new();
    for tool in tools() {
        let path = repo_root()
            .join("actions")
            .join(tool.name)
            .join("action.yml");
        let want = tool.action_yml(&runs(tool));
        let have = fs::read_to_string(&path).unwrap_or_default();
        if have != want {
            if bless() {
                fs::create_dir_all(path.parent().unwrap()).unwrap();
                fs::write(&path, &want).unwrap();
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    let path = repo_root().join("action.yml");
    let all = tools();
    let want = umbrella_action_yml(&all, &umbrella_runs());
    if fs::read_to_string(&path).unwrap_or_default() != want {
        if bless() {
            fs::write(&path, &want).unwrap();
        } else {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale action.yml (run `SLIPWAY_BLESS=1 cargo test -p slipway-checks`): {stale:?}"
    );
}

#[test]
fn readme_tables_match_the_declarations() {
    let path = repo_root().join("README.md");
    let mut readme = fs::read_to_string(&path).expect("README.md");
    let mut stale = Vec::new();
    for tool in tools() {
        let (begin, end) = (
            format!("<!-- begin {} (generated) -->\n", tool.name),
            format!("<!-- end {} -->", tool.name),
        );
        let (Some(b), Some(e)) = (readme.find(&begin), readme.find(&end)) else {
            panic!(
                "README.md lacks the markers `{}` … `{end}` for {}",
                begin.trim(),
                tool.name
            );
        };
        let want = tool.markdown();
        if readme[b + begin.len()..e] != want {
            readme.replace_range(b + begin.len()..e, &want);
            stale.push(tool.name);
        }
    }
    if bless() {
        fs::write(&path, readme).unwrap();
    } else {
        assert!(
            stale.is_empty(),
            "README tables are stale for {stale:?} (run `SLIPWAY_BLESS=1 cargo test -p slipway-checks`)"
        );
    }
}

#[test]
fn every_declared_name_is_kebab_case_and_unique() {
    for tool in tools() {
        let mut names: Vec<&str> = tool
            .inputs
            .iter()
            .map(|i| i.name)
            .chain(tool.outputs.iter().map(|o| o.name))
            .collect();
        for n in &names {
            assert!(
                n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}: `{n}` is not kebab-case",
                tool.name
            );
        }
        let inputs = tool.inputs.len();
        names.truncate(inputs);
        names.sort();
        names.dedup();
        assert_eq!(names.len(), inputs, "{}: duplicate input names", tool.name);
    }
}
