//! Tidy: the invariants of ARCHITECTURE.md that a reader of the `use` lines and string
//! literals can check, checked on every test run (in the manner of rust-analyzer's tidy
//! test). A failure names the file and the line.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root")
}

/// Every `.rs` file under a folder.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Lines of the crate's `src/` that contain one of `needles`, outside comments.
fn offences(krate: &str, needles: &[&str]) -> Vec<String> {
    let root = workspace();
    let mut out = Vec::new();
    for file in rust_files(&root.join("crates").join(krate).join("src")) {
        if file.ends_with("tidy.rs") {
            continue; // the needles themselves
        }
        let text = std::fs::read_to_string(&file).expect("a source file");
        for (i, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for needle in needles {
                if code.contains(needle) {
                    out.push(format!(
                        "{}:{}: {needle}",
                        file.strip_prefix(&root).unwrap_or(&file).display(),
                        i + 1
                    ));
                }
            }
        }
    }
    out
}

/// The names of the normal (not dev) dependencies of a crate.
fn dependencies(krate: &str) -> Vec<String> {
    let path = workspace().join("crates").join(krate).join("Cargo.toml");
    let text = std::fs::read_to_string(&path).expect("Cargo.toml");
    let doc: toml::Table = text.parse().expect("a TOML manifest");
    doc.get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

const CRATES: &[&str] = &[
    "vx-domain",
    "vx-rules",
    "vx-exchange",
    "vx-import",
    "vx-gen",
    "vx-store",
    "vx-web",
    "vungxanh",
];

#[test]
fn pure_crates_know_no_sql_http_async_or_io() {
    let mut found = Vec::new();
    for krate in ["vx-domain", "vx-rules", "vx-exchange"] {
        found.extend(offences(
            krate,
            &[
                "sqlx",
                "axum",
                "reqwest",
                "hyper",
                "tokio",
                "async fn",
                ".await",
                "std::fs",
                "std::net",
                "std::process",
            ],
        ));
    }
    for krate in ["vx-import", "vx-gen"] {
        found.extend(offences(
            krate,
            &["sqlx", "axum", "reqwest", "hyper", "tokio"],
        ));
    }
    assert!(
        found.is_empty(),
        "pure code does I/O:\n{}",
        found.join("\n")
    );
}

#[test]
fn only_vx_store_knows_sql_and_only_vx_web_knows_http() {
    let sql = [
        "\"SELECT ",
        "\"INSERT INTO",
        "\"UPDATE ",
        "\"DELETE FROM",
        "\"CREATE TABLE",
        "sqlx::",
    ];
    let http = ["axum::", "reqwest::", "hyper::", "tower_http::"];
    let mut found = Vec::new();
    for krate in CRATES {
        if *krate != "vx-store" {
            found.extend(offences(krate, &sql));
        }
        if *krate != "vx-web" {
            found.extend(offences(krate, &http));
        }
        let deps = dependencies(krate);
        for dep in [
            "sqlx",
            "axum",
            "axum-extra",
            "reqwest",
            "hyper",
            "tower-http",
        ] {
            let owner = if dep == "sqlx" { "vx-store" } else { "vx-web" };
            if deps.iter().any(|d| d == dep) && *krate != owner {
                found.push(format!("crates/{krate}/Cargo.toml: depends on {dep}"));
            }
        }
    }
    assert!(found.is_empty(), "a layer crossed:\n{}", found.join("\n"));
}

#[test]
fn the_tidy_check_sees_an_offence() {
    // The reader finds what is there (file and line), and skips comments: the store's SQL
    // is found when vx-store is read as if it were another crate.
    let found = offences("vx-store", &["\"SELECT "]);
    assert!(found.len() > 50, "{found:?}");
    assert!(found.iter().all(|f| f.starts_with("crates/vx-store/src/")));
    assert!(offences("vx-domain", &["sqlx"]).is_empty());
}

/// The module of a file of a crate's `src/` (`epi/api.rs` → `epi::api`; `lib.rs`, `main.rs` → ``).
fn module_of(rel: &Path) -> String {
    let s = rel.with_extension("").to_string_lossy().replace('/', "::");
    match s.as_str() {
        "lib" | "main" => String::new(),
        _ => s.trim_end_matches("::mod").to_string(),
    }
}

/// The module paths a source names after `crate::` or `super::`, resolved against `known`.
fn references(text: &str, me: &str, known: &std::collections::BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    let resolve = |path: &str, out: &mut Vec<String>| {
        // the longest known module that is a prefix of the path
        let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        for n in (1..=segs.len()).rev() {
            let m = segs[..n].join("::");
            if known.contains(&m) {
                out.push(m);
                return;
            }
        }
    };
    for (prefix, base) in [
        ("crate::", String::new()),
        ("super::", {
            let mut parts: Vec<&str> = me.split("::").collect();
            parts.pop();
            parts.join("::")
        }),
    ] {
        let mut rest = text;
        while let Some(i) = rest.find(prefix) {
            let after = &rest[i + prefix.len()..];
            let join = |p: &str| {
                if base.is_empty() {
                    p.to_string()
                } else {
                    format!("{base}::{p}")
                }
            };
            if let Some(group) = after.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let item = item.trim().split(" as ").next().unwrap_or("").trim();
                    let path: String = item
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                        .collect();
                    resolve(&join(&path), &mut out);
                }
            } else {
                let path: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                resolve(&join(&path), &mut out);
            }
            rest = after;
        }
    }
    out.retain(|m| m != me);
    out.sort();
    out.dedup();
    out
}

#[test]
fn no_crate_has_an_import_circle() {
    let mut circles = Vec::new();
    let mut crates = 0;
    for dir in std::fs::read_dir(workspace().join("crates")).expect("crates/") {
        let src = dir.expect("a crate folder").path().join("src");
        if src.is_dir() {
            crates += 1;
            circles.extend(circles_in(&src));
        }
    }
    assert!(crates >= 8, "{crates} crates read");
    assert!(
        circles.is_empty(),
        "import circles (a crate's modules use the floor below them, never each other back; in vx-web features use the shared floor — state, viewer, auth, scope, pages' kit):\n{}",
        circles.join("\n")
    );
    // the reader sees a circle when there is one
    let a = "use crate::b::X;".to_string();
    let known_ab: std::collections::BTreeSet<String> =
        ["a".to_string(), "b".to_string()].into_iter().collect();
    assert_eq!(references(&a, "a", &known_ab), ["b"]);
    assert_eq!(
        references(
            "use super::{x, y as z};",
            "epi::api",
            &["epi::x".to_string(), "epi".to_string()]
                .into_iter()
                .collect()
        ),
        ["epi", "epi::x"], // y: an item of epi
    );
}

/// The circles among one crate's modules, as `a -> b -> a` (whole module paths, the crate named).
fn circles_in(src: &Path) -> Vec<String> {
    let files = rust_files(src);
    let modules: Vec<(String, String)> = files
        .iter()
        .map(|f| {
            (
                module_of(f.strip_prefix(src).expect("under src")),
                // code only: a doc link to another module is not an import
                std::fs::read_to_string(f)
                    .expect("a source file")
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("//"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        })
        .collect();
    let known: std::collections::BTreeSet<String> =
        modules.iter().map(|(m, _)| m.clone()).collect();
    let name = src
        .parent()
        .and_then(|c| c.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name == "vx-web" {
        assert!(
            known.contains("epi::api") && known.contains("state"),
            "{known:?}"
        );
    }
    let edges: std::collections::BTreeMap<String, Vec<String>> = modules
        .iter()
        .filter(|(m, _)| !m.is_empty()) // lib.rs wires everything: the top
        .map(|(m, text)| (m.clone(), references(text, m, &known)))
        .collect();
    // a circle: a module that reaches itself
    let mut circles = Vec::new();
    for start in edges.keys() {
        let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
        let mut seen = std::collections::BTreeSet::new();
        while let Some((m, path)) = stack.pop() {
            for next in edges.get(&m).into_iter().flatten() {
                if next == start {
                    let mut c = path.clone();
                    c.push(start.clone());
                    circles.push(c.join(" -> "));
                } else if seen.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    circles.sort();
    circles.dedup();
    circles
        .into_iter()
        .map(|c| format!("{name}: {c}"))
        .collect()
}
