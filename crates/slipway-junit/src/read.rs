//! The streaming reader: XML events → [`Case`]s, without holding the document.

use std::io::BufRead;
use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::{Case, CaseResult, Failure, FailureKind, JunitError, TEXT_CAP, TestId};

/// What a child element of `<testcase>` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Child {
    Failure(FailureKind),
    Rerun(FailureKind),
    Flaky(FailureKind),
    Skipped,
    Other,
}

fn child_kind(local: &[u8]) -> Child {
    match local {
        b"failure" => Child::Failure(FailureKind::Failure),
        b"error" => Child::Failure(FailureKind::Error),
        b"rerunFailure" => Child::Rerun(FailureKind::Failure),
        b"rerunError" => Child::Rerun(FailureKind::Error),
        b"flakyFailure" => Child::Flaky(FailureKind::Failure),
        b"flakyError" => Child::Flaky(FailureKind::Error),
        b"skipped" => Child::Skipped,
        _ => Child::Other,
    }
}

/// A `<testcase>` being read.
#[derive(Debug, Default)]
struct Open {
    id: Option<TestId>,
    depth: usize,
    failure: Option<Failure>,
    reruns: Vec<Failure>,
    flaky: Vec<Failure>,
    skipped: bool,
    /// The failure-like child being read, and where its text goes.
    current: Option<(Child, Failure, usize)>,
    /// Inside surefire's `<stackTrace>` of the current child.
    in_stack_trace: bool,
}

impl Open {
    fn finish(self, file: &Path) -> Option<Case> {
        let id = self.id?;
        let result = if let Some(failure) = self.failure {
            CaseResult::Failed {
                failure,
                reruns: self.reruns,
            }
        } else if self.skipped {
            CaseResult::Skipped
        } else if !self.flaky.is_empty() {
            CaseResult::Flaky(self.flaky)
        } else {
            CaseResult::Passed
        };
        Some(Case {
            id,
            result,
            file: file.to_path_buf(),
        })
    }
}

fn push_capped(out: &mut String, text: &str) {
    if out.len() >= TEXT_CAP {
        return;
    }
    let room = TEXT_CAP - out.len();
    if text.len() <= room {
        out.push_str(text);
    } else {
        let mut cut = room;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&text[..cut]);
    }
}

/// Reads one report: every `<testcase>` under a `<testsuites>` or `<testsuite>` root, in
/// document order. `path` names the file in errors.
pub fn parse(path: &Path, source: impl BufRead) -> Result<Vec<Case>, JunitError> {
    let not_xml = |reason: String| JunitError::NotXml {
        path: path.to_path_buf(),
        reason,
    };
    let not_junit = |reason: String| JunitError::NotJunit {
        path: path.to_path_buf(),
        reason,
    };
    let mut reader = Reader::from_reader(source);
    reader.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    let mut depth = 0usize;
    let mut root_seen = false;
    let mut root_closed = false;
    let mut open: Option<Open> = None;
    let mut cases = Vec::new();
    let attr = |e: &BytesStart<'_>, name: &[u8]| -> Result<Option<String>, JunitError> {
        for a in e.attributes() {
            let a = a.map_err(|err| JunitError::NotXml {
                path: path.to_path_buf(),
                reason: format!("a malformed attribute: {err}"),
            })?;
            if a.key.local_name().as_ref() == name {
                let v = a.unescape_value().map_err(|err| JunitError::NotXml {
                    path: path.to_path_buf(),
                    reason: format!("a malformed attribute value: {err}"),
                })?;
                return Ok(Some(v.into_owned()));
            }
        }
        Ok(None)
    };
    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| not_xml(format!("{e} (near byte {position})")))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let local = e.local_name().as_ref().to_vec();
                if depth == 0 {
                    if root_closed {
                        return Err(not_xml(format!(
                            "a second root element `<{}>` after the first one ended",
                            String::from_utf8_lossy(&local)
                        )));
                    }
                    if local != b"testsuites" && local != b"testsuite" {
                        return Err(not_junit(format!(
                            "its root element is `<{}>`, not `<testsuites>` or `<testsuite>`",
                            String::from_utf8_lossy(&local)
                        )));
                    }
                    root_seen = true;
                }
                match open.as_mut() {
                    None if local == b"testcase" => {
                        let name = attr(e, b"name")?.ok_or_else(|| {
                            not_junit("a `<testcase>` has no `name` attribute".into())
                        })?;
                        let classname = attr(e, b"classname")?.unwrap_or_default();
                        let case = Open {
                            id: Some(TestId { classname, name }),
                            depth,
                            ..Open::default()
                        };
                        if empty {
                            cases.extend(case.finish(path));
                        } else {
                            open = Some(case);
                        }
                    }
                    None => {}
                    Some(case) => {
                        if case.current.is_some() {
                            if local == b"stackTrace" && !empty {
                                case.in_stack_trace = true;
                            }
                        } else if depth == case.depth + 1 {
                            let kind = child_kind(&local);
                            let failure_kind = match kind {
                                Child::Failure(k) | Child::Rerun(k) | Child::Flaky(k) => Some(k),
                                Child::Skipped => {
                                    case.skipped = true;
                                    None
                                }
                                Child::Other => None,
                            };
                            if let Some(k) = failure_kind {
                                let failure = Failure {
                                    kind: k,
                                    message: attr(e, b"message")?.unwrap_or_default(),
                                    error_type: attr(e, b"type")?,
                                    details: String::new(),
                                };
                                if empty {
                                    store(case, kind, failure);
                                } else {
                                    case.current = Some((kind, failure, depth));
                                }
                            }
                        }
                    }
                }
                if !empty {
                    depth += 1;
                } else if depth == 0 {
                    root_closed = true;
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if let Some(case) = open.as_mut() {
                    if let Some((_, _, d)) = &case.current {
                        if *d == depth {
                            let (kind, failure, _) = case.current.take().expect("checked");
                            case.in_stack_trace = false;
                            store(case, kind, failure);
                        } else {
                            case.in_stack_trace = false;
                        }
                    } else if case.depth == depth {
                        let done = open.take().expect("checked");
                        cases.extend(done.finish(path));
                    }
                }
                if depth == 0 {
                    root_closed = true;
                }
            }
            Event::Text(ref t) => {
                let text = t
                    .decode()
                    .map_err(|e| not_xml(format!("text that is not UTF-8: {e}")))?;
                if depth == 0 && !text.trim().is_empty() {
                    return Err(not_xml(format!(
                        "text outside any element, starting `{}`",
                        excerpt(&text)
                    )));
                }
                append_text(open.as_mut(), depth, &text);
            }
            Event::CData(ref t) => {
                let text = t
                    .decode()
                    .map_err(|e| not_xml(format!("CDATA that is not UTF-8: {e}")))?;
                append_text(open.as_mut(), depth, &text);
            }
            Event::GeneralRef(ref r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref()
                        .map_err(|e| not_xml(format!("{e} (near byte {position})")))?
                        .map(String::from)
                } else {
                    let name = r
                        .decode()
                        .map_err(|e| not_xml(format!("an entity name that is not UTF-8: {e}")))?;
                    quick_xml::escape::resolve_predefined_entity(&name).map(str::to_string)
                };
                let Some(text) = resolved else {
                    return Err(not_xml(format!(
                        "an unknown entity `&{};` (near byte {position})",
                        String::from_utf8_lossy(r.as_ref())
                    )));
                };
                if depth == 0 {
                    return Err(not_xml("text outside any element".into()));
                }
                append_text(open.as_mut(), depth, &text);
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
        buf.clear();
    }
    if depth > 0 {
        return Err(not_xml(
            "it ends before its elements are closed (a truncated file?)".into(),
        ));
    }
    if !root_seen {
        return Err(not_xml("it has no root element (an empty file?)".into()));
    }
    Ok(cases)
}

fn append_text(open: Option<&mut Open>, depth: usize, text: &str) {
    let Some(case) = open else { return };
    let in_stack_trace = case.in_stack_trace;
    let Some((_, failure, at)) = case.current.as_mut() else {
        return;
    };
    // `<failure>` holds its traceback as its own text; surefire's flaky/rerun elements keep it
    // in `<stackTrace>`. Text of other nested elements (`<system-out>`) is not the failure's.
    if depth == *at + 1 || in_stack_trace {
        push_capped(&mut failure.details, text);
    }
}

fn store(case: &mut Open, kind: Child, failure: Failure) {
    match kind {
        Child::Failure(_) if case.failure.is_none() => case.failure = Some(failure),
        Child::Failure(_) | Child::Rerun(_) => case.reruns.push(failure),
        Child::Flaky(_) => case.flaky.push(failure),
        Child::Skipped | Child::Other => {}
    }
}

fn excerpt(text: &str) -> String {
    let t = text.trim();
    let mut cut = t.len().min(40);
    while !t.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out: String = t[..cut]
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if cut < t.len() {
        out.push('…');
    }
    out
}
