//! Access, route by route (issue 15 part 2): every route of vx-web that takes an id or a
//! unit code has a scope case — in a matrix of roles inside and outside their scope, or in a
//! named story test — and the test that lists them reads the routes from the sources, so a
//! new route without a case fails here.

use std::collections::BTreeSet;

use reqwest::StatusCode;

use super::epi::case_of;
use super::situation::{SEES, UNITS};
use super::{each_backend, spawn_app};

/// Who sees the people of which of [`UNITS`] (`Access::sees_people_in`): the commune and
/// its hamlet's team in their own units, the administrator everywhere; the province, the
/// district and the laboratory never.
#[rustfmt::skip]
const SEES_PEOPLE: [(&str, [bool; 6]); 6] = [
    ("admin",     [true,  true,  true,  true,  true,  true ]),
    ("tinh",      [false, false, false, false, false, false]),
    ("huyen",     [false, false, false, false, false, false]),
    ("xa",        [true,  true,  false, false, false, false]),
    ("ap",        [false, true,  false, false, false, false]),
    ("xetnghiem", [false, false, false, false, false, false]),
];

/// What a page needs of the viewer.
#[derive(Debug, Clone, Copy)]
enum Needs {
    /// To see the unit's people.
    People,
    /// To see the unit (its figures and level).
    Unit,
}

/// The unit pages (GET) and what each needs; `{u}` is each of [`UNITS`].
const UNIT_PAGES: &[(&str, Needs)] = &[
    ("/units/{u}/cases", Needs::People),
    ("/units/{u}/conflicts", Needs::People),
    ("/units/{u}/work", Needs::People),
    ("/units/{u}/duplicates", Needs::People),
    ("/units/{u}/identity", Needs::People),
    ("/ops/units/{u}/overdue", Needs::People),
    ("/units/{u}/green-zone", Needs::Unit),
    ("/units/{u}/status", Needs::Unit),
    ("/units/{u}/sandbox", Needs::Unit),
    (
        "/units/{u}/sandbox/compare?rule_set=qd-4800&from=2021-09-01&to=2021-09-15",
        Needs::Unit,
    ),
];

/// The header menu of each role: what it may use, and each link opens for it.
#[tokio::test]
async fn each_role_menu_lists_what_it_may_use_and_each_link_opens() {
    #[rustfmt::skip]
    let menus: [(&str, &[&str]); 6] = [
        ("admin",     &["/", "/worklists", "/campaigns", "/ops", "/results/upload", "/admin/audit"]),
        ("tinh",      &["/", "/worklists", "/campaigns", "/ops"]),
        ("huyen",     &["/", "/worklists", "/campaigns", "/ops"]),
        ("xa",        &["/", "/worklists", "/campaigns", "/ops", "/results/upload", "/field/"]),
        ("ap",        &["/", "/worklists", "/campaigns", "/ops", "/field/"]),
        ("xetnghiem", &["/results/upload"]),
    ];
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        for (user, expected) in menus {
            let session = app.login(user).await;
            // the page a user lands on after signing in (`/` may send on to the user's unit)
            let r = session.client.get(app.url("/")).send().await.unwrap();
            let home = match r.status() {
                StatusCode::SEE_OTHER => {
                    let to = r.headers()["location"].to_str().unwrap().to_string();
                    app.text(&session.client, &to).await.1
                }
                _ => r.text().await.unwrap(),
            };
            let nav = home
                .split("<nav class=\"main\"")
                .nth(1)
                .and_then(|rest| rest.split("</nav>").next())
                .unwrap_or_else(|| panic!("{user}: a menu\n{home}"));
            let links: Vec<&str> = nav
                .split("href=\"")
                .skip(1)
                .filter_map(|l| l.split('"').next())
                .collect();
            assert_eq!(links, expected, "{user}'s menu");
            for link in links {
                // a menu entry may send on to the user's own unit (the work lists do)
                let r = session.client.get(app.url(link)).send().await.unwrap();
                let to = match r.status() {
                    StatusCode::SEE_OTHER => r.headers()["location"].to_str().unwrap().to_string(),
                    status => {
                        assert_eq!(status, StatusCode::OK, "{user} opens {link}");
                        continue;
                    }
                };
                let (status, body) = app.text(&session.client, &to).await;
                assert_eq!(status, StatusCode::OK, "{user} opens {link} → {to}: {body}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn unit_pages_scope_matrix() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let mut failures = Vec::new();
        for ((user, people), (_, units)) in SEES_PEOPLE.iter().zip(SEES.iter()) {
            let session = app.login(user).await;
            for (template, needs) in UNIT_PAGES {
                for (i, unit) in UNITS.iter().enumerate() {
                    let path = template.replace("{u}", unit);
                    let sees = match needs {
                        Needs::People => people[i],
                        Needs::Unit => units[i],
                    };
                    let (status, body) = app.text(&session.client, &path).await;
                    let ok = if sees {
                        status == StatusCode::OK
                    } else {
                        status == StatusCode::NOT_FOUND
                    };
                    if !ok {
                        failures.push(format!(
                            "{path} as {user}: {status} (sees: {sees}) {}",
                            body.chars().take(120).collect::<String>()
                        ));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    })
    .await;
}

/// The unit forms (POST) of the zone pages, with a form each; `{u}` is each of [`UNITS`].
const UNIT_FORMS: &[(&str, &[(&str, &str)])] = &[
    (
        "/units/{u}/green-zone/recognise",
        &[("decision_number", "245/QĐ-UBND"), ("date", "2021-09-10")],
    ),
    (
        "/units/{u}/heads",
        &[
            ("name", "Trần Văn Thử"),
            ("title", "Chủ tịch"),
            ("term_from", "2021-06-20"),
        ],
    ),
    (
        "/units/{u}/measure-overrides",
        &[
            ("decision", "QĐ 1"),
            ("measure", "markets"),
            ("value", "open"),
            ("from", "2021-09-10"),
        ],
    ),
    (
        "/units/{u}/targets",
        &[("level", "1"), ("by", "2021-09-30")],
    ),
];

/// A write: path, form, index in [`UNITS`] of the unit whose scope decides, what it needs.
type Write = (String, Vec<(&'static str, &'static str)>, usize, Needs);

/// Writes through the pages, every role, inside and outside its scope: a unit, case, head
/// or review the role does not see answers 404 and nothing is written there; one it sees
/// answers anything but 404 (done, refused for the role, or a form error).
#[tokio::test]
async fn page_writes_scope_matrix() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let actor = vx_store::Actor::system("test");
        // a case inside Phước Thạnh (A) and one in Tân Thạch (C); a head of Phước Thạnh and
        // an open review naming it (the zone recognised, then broken)
        let (case_in, case_out) = (case_of(&app, "A").await, case_of(&app, "C").await);
        let pt = app.store.unit("28846").await.unwrap().unwrap();
        let head = app
            .store
            .add_unit_head(
                &actor,
                &pt,
                &vx_store::NewHead {
                    name: "Trần Văn Thử".into(),
                    title: "Chủ tịch UBND xã".into(),
                    term_from: "2021-06-20".parse().unwrap(),
                    term_to: None,
                },
            )
            .await
            .unwrap();
        for event in [vx_store::rules::zone::ZoneEvent::Assessed {
            date: "2021-09-09".parse().unwrap(),
            candidate: true,
        }] {
            app.store
                .apply_zone_event(&actor, &pt, &event)
                .await
                .unwrap();
        }
        let huyen = app.token("huyen").await;
        let (status, _) = app
            .api(
                &huyen,
                reqwest::Method::POST,
                "/api/v1/units/28846/green-zone/recognitions",
                Some(serde_json::json!({"decision_number": "245/QĐ-UBND", "date": "2021-09-10"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        app.store
            .apply_zone_event(
                &actor,
                &pt,
                &vx_store::rules::zone::ZoneEvent::CommunityCase {
                    date: "2021-09-27".parse().unwrap(),
                    case_id: "77".into(),
                },
            )
            .await
            .unwrap();
        let review = app.store.reviews_of(&pt).await.unwrap()[0].id;

        // (path, form, index in UNITS of the unit whose scope decides, needs)
        let mut writes: Vec<Write> = Vec::new();
        for (template, form) in UNIT_FORMS {
            for (i, unit) in UNITS.iter().enumerate() {
                writes.push((template.replace("{u}", unit), form.to_vec(), i, Needs::Unit));
            }
        }
        for (case, unit) in [(case_in, 1), (case_out, 3)] {
            writes.push((
                format!("/cases/{case}/outcome"),
                vec![("outcome", "recovered"), ("on", "2021-10-01")],
                unit,
                Needs::People,
            ));
            writes.push((
                format!("/cases/{case}/release"),
                vec![("on", "2021-10-01")],
                unit,
                Needs::People,
            ));
            writes.push((
                format!("/cases/{case}/contacts"),
                vec![("person_id", "1")],
                unit,
                Needs::People,
            ));
        }
        writes.push((
            format!("/units/28846/reviews/{review}"),
            vec![("status", "in-progress")],
            0,
            Needs::Unit,
        ));
        let mut failures = Vec::new();
        for ((user, people), (_, units)) in SEES_PEOPLE.iter().zip(SEES.iter()) {
            let session = app.login(user).await;
            for (path, form, unit, needs) in &writes {
                let sees = match needs {
                    Needs::People => people[*unit],
                    Needs::Unit => units[*unit],
                };
                let mut form: Vec<(&str, &str)> = form.clone();
                form.push(("csrf", session.csrf.as_str()));
                let r = session
                    .client
                    .post(app.url(path))
                    .form(&form)
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                if sees == (status == StatusCode::NOT_FOUND) {
                    failures.push(format!("POST {path} as {user}: {status} (sees: {sees})"));
                }
            }
            // deleting a head (a new one each time: a delete that works removes it)
            let fresh = app
                .store
                .add_unit_head(
                    &actor,
                    &pt,
                    &vx_store::NewHead {
                        name: "Lê Văn Thế".into(),
                        title: "Phó Chủ tịch".into(),
                        term_from: "2021-06-20".parse().unwrap(),
                        term_to: None,
                    },
                )
                .await
                .unwrap();
            let path = format!("/units/28846/heads/{}/delete", fresh.id);
            let r = session
                .client
                .post(app.url(&path))
                .form(&[("csrf", session.csrf.as_str())])
                .send()
                .await
                .unwrap();
            if units[0] == (r.status() == StatusCode::NOT_FOUND) {
                failures.push(format!(
                    "POST {path} as {user}: {} (sees: {})",
                    r.status(),
                    units[0]
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        // another unit's head or review is not found under this unit, whoever asks
        let admin = app.login("admin").await;
        for path in [
            format!("/units/28804/heads/{}/delete", head.id),
            format!("/units/28804/reviews/{review}"),
        ] {
            let r = admin
                .client
                .post(app.url(&path))
                .form(&[("csrf", admin.csrf.as_str()), ("status", "open")])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        }
    })
    .await;
}

/// Routes whose scope is tested in a story rather than a matrix, with the test that does it
/// (checked to exist and to request the route).
const STORIES: &[(&str, &str)] = &[
    (
        "/duplicates/{}/{}/settle",
        "a_commune_merges_a_duplicate_and_undoes_it",
    ),
    (
        "/merges/{}/undo",
        "a_commune_merges_a_duplicate_and_undoes_it",
    ),
    (
        "/identity/{}/settle",
        "a_held_row_is_shown_side_by_side_and_settled_within_scope",
    ),
];

/// A path with each id or code segment as `{}`.
fn normalise(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    path.split('/')
        .map(|seg| {
            let is_param = seg.starts_with('{') && seg.ends_with('}');
            let is_id = !seg.is_empty()
                && seg.chars().any(|c| c.is_ascii_digit())
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
            if is_param || is_id {
                // keep a file suffix (`{id}/qr.svg` is its own segment; `x.xlsx` stays)
                "{}".to_string()
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out
}

/// The string literals that look like paths in `text` (escapes and char literals skipped).
fn paths_in(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' if i + 2 < bytes.len() && bytes[i + 2] == b'\'' => i += 3,
            b'"' => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                let piece = &text[i + 1..j.min(text.len())];
                if piece.starts_with('/') && !piece.contains(' ') {
                    out.insert(normalise(piece));
                }
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// The text of the scope tests: every test function named `*matrix*` or `*scope*`, and the
/// route tables.
fn matrix_text(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("fn ") {
        let name: String = rest[i + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let body_end = rest[i + 3..]
            .find("#[tokio::test]")
            .map_or(rest.len(), |e| i + 3 + e);
        if name.contains("matrix") || name.contains("scope") {
            out.push_str(&rest[i..body_end]);
        }
        rest = &rest[i + 3..];
    }
    for table in [
        "const MATRIX",
        "const ROUTES",
        "const UNIT_PAGES",
        "const UNIT_FORMS",
    ] {
        if let Some(i) = text.find(table) {
            let end = text[i..].find("];").map_or(text.len(), |e| i + e);
            out.push_str(&text[i..end]);
        }
    }
    out
}

#[test]
fn every_route_with_an_id_has_a_scope_case() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut routes = BTreeSet::new();
    for f in files(&root.join("src")) {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut rest = text.as_str();
        while let Some(i) = rest.find(".route(") {
            let after = &rest[i + 7..];
            if let Some(start) = after.find('"') {
                let path: String = after[start + 1..]
                    .chars()
                    .take_while(|c| *c != '"')
                    .collect();
                if path.contains('{') && !path.starts_with("/api/") {
                    routes.insert(path);
                }
            }
            rest = &rest[i + 7..];
        }
    }
    assert!(routes.len() > 40, "the route reader found {routes:?}");
    let mut covered = BTreeSet::new();
    let mut tests = String::new();
    for f in files(&root.join("tests")) {
        let text = std::fs::read_to_string(&f).unwrap();
        covered.extend(paths_in(&matrix_text(&text)));
        tests.push_str(&text);
    }
    let mut missing = Vec::new();
    for route in &routes {
        let n = normalise(route);
        if covered.contains(&n) {
            continue;
        }
        match STORIES.iter().find(|(r, _)| *r == n) {
            Some((_, test)) => {
                let named = tests.contains(&format!("fn {test}()"));
                assert!(named, "{route}: no test named {test}");
            }
            None => missing.push(route.clone()),
        }
    }
    assert!(
        missing.is_empty(),
        "routes without a scope case (add them to a matrix, or to STORIES with the story that tests their scope):\n{}",
        missing.join("\n")
    );
}
