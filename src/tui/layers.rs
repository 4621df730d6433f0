//! The console's floors kept by a test, not by prose: the views (`panes/`, `popups/`) never
//! import the update code (`update`, `input`, `actions`), a popup never imports the state (it
//! draws from `popups::Context`), and no file under `src/tui` imports a file that imports it
//! back, however far round. The imports are read from the source as written (`use` lines and
//! paths in code, outside each file's tests).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, as a path relative to `src/`.
fn rust_files(src: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(src, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            if let Ok(relative) = path.strip_prefix(src) {
                out.push(relative.to_path_buf());
            }
        }
    }
}

/// The module a file is: `tui/panes/list.rs` → [tui, panes, list]; `tui/panes/mod.rs` →
/// [tui, panes].
fn module_of(file: &Path) -> Vec<String> {
    let mut parts: Vec<String> = file
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The file that holds the longest leading part of `module` (an item's path): `tui::model::Row`
/// → `tui/model/mod.rs`.
fn file_of(src: &Path, module: &[String]) -> Option<PathBuf> {
    (1..=module.len()).rev().find_map(|len| {
        let dir: PathBuf = module[..len].iter().collect();
        [dir.with_extension("rs"), dir.join("mod.rs")]
            .into_iter()
            .find(|candidate| src.join(candidate).is_file())
    })
}

/// The code of a file before its tests, without comments.
fn code_of(text: &str) -> String {
    let before_tests = text.split("#[cfg(test)]").next().unwrap_or("");
    before_tests
        .lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths a piece of code names from `crate::` or `super::`/`self::` on, braces of `use`
/// lines opened (`use super::{a::B, c}` names `super::a::B` and `super::c`).
fn named_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let rest: String = bytes[i..bytes.len().min(i + 7)].iter().collect();
        let starts = ["crate::", "super::", "self::"]
            .iter()
            .any(|p| rest.starts_with(p));
        let after_ident = i > 0 && (bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_');
        if !starts || after_ident || (i > 1 && bytes[i - 1] == ':' && bytes[i - 2] == ':') {
            i += 1;
            continue;
        }
        let (path, end) = read_path(&bytes, i);
        paths.extend(path);
        i = end;
    }
    paths
}

/// Reads the path starting at `start`; a `{...}` group is opened into one path per member.
fn read_path(chars: &[char], start: usize) -> (Vec<String>, usize) {
    let mut head = String::new();
    let mut i = start;
    while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == ':') {
        head.push(chars[i]);
        i += 1;
    }
    if i < chars.len() && chars[i] == '{' && head.ends_with("::") {
        let mut out = Vec::new();
        let mut depth = 0;
        let mut member = String::new();
        i += 1;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.push(format!("{head}{}", member.trim()));
                    member.clear();
                    i += 1;
                    continue;
                }
                _ => {}
            }
            member.push(c);
            i += 1;
        }
        if !member.trim().is_empty() {
            out.push(format!("{head}{}", member.trim()));
        }
        // A member that is itself a group (`a::{B, C}`) names its module: enough for files.
        let out = out
            .into_iter()
            .map(|p| p.split('{').next().unwrap_or("").to_string())
            .collect();
        return (out, i + 1);
    }
    (vec![head], i)
}

/// What each file under `src/tui` imports of the others (by file, relative to `src/`).
fn tui_imports() -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &src.join("tui"), &mut files);
    let mut graph = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(src.join(&file)).unwrap_or_default();
        let here = module_of(&file);
        let mut imports = BTreeSet::new();
        for path in named_paths(&code_of(&text)) {
            let mut parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
            let mut module: Vec<String> = match parts.first() {
                Some(&"crate") => {
                    parts.remove(0);
                    Vec::new()
                }
                _ => here.clone(),
            };
            while let Some(&first) = parts.first() {
                match first {
                    "super" => {
                        module.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                parts.remove(0);
            }
            module.extend(parts.iter().map(|p| p.to_string()));
            if module.first().map(String::as_str) != Some("tui") {
                continue;
            }
            if let Some(target) = file_of(&src, &module) {
                if target != file {
                    imports.insert(target);
                }
            }
        }
        graph.insert(file, imports);
    }
    graph
}

/// The files on a circle of imports, if there is one.
fn a_circle(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Option<Vec<PathBuf>> {
    fn visit(
        file: &PathBuf,
        graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        path: &mut Vec<PathBuf>,
        done: &mut BTreeSet<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        if let Some(at) = path.iter().position(|p| p == file) {
            return Some(path[at..].to_vec());
        }
        if done.contains(file) {
            return None;
        }
        path.push(file.clone());
        for next in graph.get(file).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(file.clone());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|file| visit(file, graph, &mut Vec::new(), &mut done))
}

fn under(file: &Path, dir: &str) -> bool {
    file.starts_with(Path::new("tui").join(dir))
}

#[test]
fn the_paths_of_a_use_line_are_read_with_their_braces() {
    let code = "use super::{alerts::AlertsView, Popup};\nlet x = crate::tui::widgets::fit(a);";
    assert_eq!(
        named_paths(code),
        [
            "super::alerts::AlertsView",
            "super::Popup",
            "crate::tui::widgets::fit"
        ]
    );
}

#[test]
fn views_never_import_the_update_code_and_popups_never_the_state() {
    let graph = tui_imports();
    assert!(graph.len() > 30, "the files were read: {}", graph.len());
    let update_code = ["tui/update.rs", "tui/input.rs", "tui/actions.rs"].map(PathBuf::from);
    let state = PathBuf::from("tui/state.rs");
    let mut wrong = Vec::new();
    for (file, imports) in &graph {
        let view = under(file, "panes") || under(file, "popups");
        for import in imports {
            if view && update_code.contains(import) {
                wrong.push(format!("{} imports {}", file.display(), import.display()));
            }
            if under(file, "popups") && (*import == state || under(import, "panes")) {
                wrong.push(format!("{} imports {}", file.display(), import.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(
        graph[&PathBuf::from("tui/panes/list.rs")].contains(&state),
        "the reading finds what a pane does import"
    );
}

#[test]
fn no_file_of_the_console_imports_a_file_that_imports_it_back() {
    let graph = tui_imports();
    assert_eq!(a_circle(&graph), None);
    let mut looped = graph.clone();
    looped
        .entry(PathBuf::from("tui/widgets.rs"))
        .or_default()
        .insert(PathBuf::from("tui/panes/list.rs"));
    assert!(
        a_circle(&looped).is_some(),
        "a circle is found when there is one"
    );
}
