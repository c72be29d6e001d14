//! `write-version`, run the way the runner runs it: for every source kind the version is
//! written over the literal it was read from, a second step reads the new version back, and
//! every other byte of the file is unchanged (the file equals the original with the version's
//! span replaced; a later `1.2.3` in a comment stays).

use serde_json::json;
use slipway_testkit::harness::{DEFAULT_SHA, Harness, RunResult};

const BIN: &str = env!("CARGO_BIN_EXE_version-bump");
const OLD: &str = "1.2.3";
const NEW: &str = "2.0.0.dev5";

/// One project: its files, the file the version is in, extra inputs, the expected `written`.
struct Case {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    file: &'static str,
    inputs: &'static [(&'static str, &'static str)],
    written: &'static str,
    /// Text just before the literal, when an earlier `1.2.3` is not it (a docstring).
    after: &'static str,
}

const HATCH: &str = "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n[project]\nname = \"demo\"\ndynamic = [\"version\"]\n\n[tool.hatch.version]\npath = \"src/demo/__about__.py\"\n";
const ABOUT: &str =
    "# the version\n__version__ = \"1.2.3\"  # bumped by CI (was 1.2.3)\nauthor = 'me'\n";

const CASES: &[Case] = &[
    Case {
        name: "pep621",
        files: &[(
            "pyproject.toml",
            "[project]\nname = \"demo\"   # aligned\nversion   =   '1.2.3' # 1.2.3 stays\n\n[tool.x]\ny = 1\n",
        )],
        file: "pyproject.toml",
        inputs: &[],
        written: "pyproject.toml [project].version",
        after: "",
    },
    Case {
        name: "poetry",
        files: &[(
            "pyproject.toml",
            "[tool.poetry]\nname = \"demo\"\nversion = \"1.2.3\"\ndescription = \"1.2.3\"\n",
        )],
        file: "pyproject.toml",
        inputs: &[],
        written: "pyproject.toml [tool.poetry].version",
        after: "",
    },
    Case {
        name: "hatch",
        files: &[("pyproject.toml", HATCH), ("src/demo/__about__.py", ABOUT)],
        file: "src/demo/__about__.py",
        inputs: &[],
        written: "src/demo/__about__.py __version__",
        after: "",
    },
    Case {
        name: "hatch pattern",
        files: &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n[project]\nname = \"demo\"\ndynamic = [\"version\"]\n\n[tool.hatch.version]\npath = \"demo.txt\"\npattern = \"REL=(?P<version>\\\\S+)\"\n",
            ),
            ("demo.txt", "name: demo\nREL=1.2.3\n# 1.2.3\n"),
        ],
        file: "demo.txt",
        inputs: &[],
        written: "demo.txt [tool.hatch.version].pattern",
        after: "",
    },
    Case {
        name: "pdm",
        files: &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = [\"pdm-backend\"]\nbuild-backend = \"pdm.backend\"\n\n[project]\nname = \"demo\"\ndynamic = [\"version\"]\n\n[tool.pdm.version]\nsource = \"file\"\npath = \"src/demo/__init__.py\"\n",
            ),
            (
                "src/demo/__init__.py",
                "\"\"\"Demo.\"\"\"\n__version__: str = '1.2.3'\n",
            ),
        ],
        file: "src/demo/__init__.py",
        inputs: &[],
        written: "src/demo/__init__.py __version__",
        after: "",
    },
    Case {
        name: "setuptools attr",
        files: &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"demo\"\ndynamic = [\"version\"]\n\n[tool.setuptools.dynamic]\nversion = {attr = \"demo.__version__\"}\n",
            ),
            (
                "src/demo/__init__.py",
                "import os\n\n__version__ = \"1.2.3\"\n",
            ),
        ],
        file: "src/demo/__init__.py",
        inputs: &[],
        written: "src/demo/__init__.py __version__",
        after: "",
    },
    Case {
        name: "setuptools file",
        files: &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"demo\"\ndynamic = [\"version\"]\n\n[tool.setuptools.dynamic]\nversion = {file = \"VERSION\"}\n",
            ),
            ("VERSION", "1.2.3\n"),
        ],
        file: "VERSION",
        inputs: &[],
        written: "VERSION (whole file)",
        after: "",
    },
    Case {
        name: "setup.cfg",
        files: &[(
            "setup.cfg",
            "[metadata]\nname = demo\nversion = 1.2.3\n# 1.2.3\n\n[options]\npackages = find:\n",
        )],
        file: "setup.cfg",
        inputs: &[],
        written: "setup.cfg [metadata].version",
        after: "",
    },
    Case {
        name: "setup.py",
        files: &[(
            "setup.py",
            "from setuptools import setup\n\nsetup(\n    name=\"demo\",\n    version = '1.2.3',  # 1.2.3\n)\n",
        )],
        file: "setup.py",
        inputs: &[],
        written: "setup.py setup(version=…)",
        after: "",
    },
    Case {
        name: "flit",
        files: &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = [\"flit_core\"]\nbuild-backend = \"flit_core.buildapi\"\n\n[project]\nname = \"demo\"\ndynamic = [\"version\", \"description\"]\n",
            ),
            (
                "demo/__init__.py",
                "\"\"\"Demo 1.2.3.\"\"\"\n\n__version__ = \"1.2.3\"\n",
            ),
        ],
        file: "demo/__init__.py",
        inputs: &[],
        written: "demo/__init__.py __version__",
        after: "__version__ = ",
    },
    Case {
        name: "module",
        files: &[
            ("setup.cfg", "[metadata]\nname = demo\n"),
            ("demo/__init__.py", "VERSION = '1.2.3'\n"),
        ],
        file: "demo/__init__.py",
        inputs: &[("version-source", "module")],
        written: "demo/__init__.py VERSION",
        after: "",
    },
    Case {
        name: "cargo",
        files: &[(
            "Cargo.toml",
            "[package]\nname = \"demo\"\nversion = \"1.2.3\" # 1.2.3\nedition = \"2021\"\n\n[dependencies]\n",
        )],
        file: "Cargo.toml",
        inputs: &[("version-source", "cargo")],
        written: "Cargo.toml [package].version",
        after: "",
    },
    Case {
        name: "cargo workspace",
        files: &[(
            "Cargo.toml",
            "[workspace]\nmembers = []\n\n[workspace.package]\nversion = \"1.2.3\"\n\n[package]\nname = \"demo\"\nversion.workspace = true\n",
        )],
        file: "Cargo.toml",
        inputs: &[("version-source", "cargo")],
        written: "Cargo.toml [workspace.package].version",
        after: "",
    },
    Case {
        name: "file",
        files: &[("meta.txt", "version: 1.2.3\nprevious: 1.2.3\n")],
        file: "meta.txt",
        inputs: &[
            ("version-file", "meta.txt"),
            ("version-pattern", r"version: (\S+)"),
        ],
        written: r"meta.txt version: (\S+)",
        after: "",
    },
];

fn step(case: &Case) -> Harness {
    let mut h = Harness::new(BIN).input("compare-to", "none");
    for (name, value) in case.inputs {
        h = h.input(name, *value);
    }
    h
}

#[test]
fn every_source_kind_is_written_in_place_and_read_back_with_every_other_byte_kept() {
    for case in CASES {
        let h = step(case).input("write-version", NEW);
        for (path, text) in case.files {
            h.write_file(path, text);
        }
        let original = case.files.iter().find(|(p, _)| *p == case.file).unwrap().1;
        let r = h.run();
        assert!(r.status.success(), "{}: {}", case.name, r.all_text());
        assert_eq!(
            (
                r.output("version"),
                r.output("version-as-written"),
                r.output("written")
            ),
            (NEW, NEW, case.written),
            "{}",
            case.name
        );
        let after = std::fs::read_to_string(h.workspace().join(case.file)).unwrap();
        let from = original.find(case.after).unwrap() + case.after.len();
        let at = from + original[from..].find(OLD).unwrap();
        let expected = format!("{}{NEW}{}", &original[..at], &original[at + OLD.len()..]);
        assert_eq!(after, expected, "{}: other bytes changed", case.name);
        for (path, text) in case.files.iter().filter(|(p, _)| *p != case.file) {
            let kept = std::fs::read_to_string(h.workspace().join(path)).unwrap();
            assert_eq!(&kept, text, "{}: `{path}` changed", case.name);
        }
        let back = step(case).in_workspace_of(&h).run().assert_success();
        assert_eq!(back.output("version"), NEW, "{}: read back", case.name);
        assert_eq!(back.output("written"), "", "{}", case.name);
    }
}

fn pep621(version: &str) -> Harness {
    let h = Harness::new(BIN).input("compare-to", "none");
    h.write_file(
        "pyproject.toml",
        format!("[project]\nname = \"demo\"\nversion = \"{version}\"\n"),
    );
    h
}

#[test]
fn dev_writes_this_steps_dev_version_and_the_written_form_is_kept() {
    let h = pep621("1.2.3").input("write-version", "dev").event(
        "push",
        json!({ "head_commit": { "id": DEFAULT_SHA, "timestamp": "2026-05-01T09:30:00+02:00" } }),
    );
    let r = h.run().assert_success();
    let dev = "1.2.4.dev20260501073000";
    assert_eq!(
        (
            r.output("version"),
            r.output("dev-version"),
            r.output("tag")
        ),
        (dev, dev, "v1.2.4.dev20260501073000")
    );
    assert!(
        std::fs::read_to_string(h.workspace().join("pyproject.toml"))
            .unwrap()
            .contains(&format!("version = \"{dev}\"")),
    );

    let r: RunResult = pep621("1.2.3")
        .input("write-version", " 2.0.0-RC1 ")
        .run()
        .assert_success();
    assert_eq!(
        (r.output("version"), r.output("version-as-written")),
        ("2.0.0rc1", "2.0.0-RC1")
    );
    // The dev version is still made from the version read before the write.
    let r = pep621("1.2.3")
        .input("write-version", "3.0")
        .input("dev-number", "7")
        .run()
        .assert_success();
    assert_eq!(
        (r.output("version"), r.output("dev-version")),
        ("3.0", "1.2.4.dev7")
    );
}

#[test]
fn dev_without_a_commit_time_fails_before_writing() {
    let h = pep621("1.2.3").input("write-version", "dev");
    let r = h.run().assert_failure();
    let errors = r.error_annotations().join("\n");
    assert!(
        errors.contains("cannot make the dev version") && errors.contains("hint:"),
        "{errors}"
    );
    let text = std::fs::read_to_string(h.workspace().join("pyproject.toml")).unwrap();
    assert!(text.contains("version = \"1.2.3\""), "{text}");
}
