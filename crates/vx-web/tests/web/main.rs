//! vx-web from the outside: a real server on 127.0.0.1:0 and a real HTTP client, on every
//! backend (SQLite always, PostgreSQL when reachable; required in CI). One integration
//! binary for the crate; `epi` and `zones` hold the tests of those parts.

mod access;
mod clock;
mod duplicates;
mod edges;
mod epi;
mod exchange;
mod fhir;
mod field;
mod identity;
mod ops;
mod situation;
mod zones;

use std::collections::HashMap;
use std::sync::OnceLock;

use reqwest::redirect::Policy;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use vx_domain::{
    Birth, CitizenId, Household, HouseholdCode, NewHousehold, NewPerson, Person, PersonName,
    Relation, Role, Sex, UnitCode, UnitLevel,
};
use vx_store::testing::{test_stores, TestStore};
use vx_store::{Actor, ImportOptions, Located, NewUser, Store, UnitInput};
use vx_web::WebConfig;

// ---------------------------------------------------------------------------------------
// The application under test

pub(crate) const PASSWORD: &str = "mật-khẩu-thử-2021";

/// Argon2 is slow on purpose: hash the test password once per run.
pub(crate) fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| vx_web::hash_password(PASSWORD))
}

pub(crate) struct App {
    base: String,
    store: Store,
    seed: Seed,
    _ts: TestStore,
}

/// Seeds a fresh store, serves it on a free port in a task, and returns its address.
pub(crate) async fn spawn_app(ts: TestStore) -> App {
    spawn_app_with(ts, WebConfig::default()).await
}

pub(crate) async fn spawn_app_with(ts: TestStore, config: WebConfig) -> App {
    let store = ts.store.clone();
    let seed = seed(&store).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(vx_web::serve(listener, store.clone(), config));
    App {
        base: format!("http://{addr}"),
        store,
        seed,
        _ts: ts,
    }
}

/// A browser: keeps cookies, does not follow redirects (so that 303s are seen).
pub(crate) fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

pub(crate) async fn each_backend<F, Fut>(f: F)
where
    F: Fn(TestStore) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for ts in test_stores().await {
        eprintln!("backend: {:?}", ts.backend());
        f(ts).await;
    }
}

impl App {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, client: &Client, path: &str) -> reqwest::Response {
        client.get(self.url(path)).send().await.unwrap()
    }

    async fn text(&self, client: &Client, path: &str) -> (StatusCode, String) {
        let r = self.get(client, path).await;
        (r.status(), r.text().await.unwrap())
    }

    /// Signs in through the login form; returns the browser and the session's CSRF token.
    async fn login(&self, username: &str) -> Session {
        let client = browser();
        let r = self.try_login(&client, username, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login of {username}");
        let (status, page) = self.text(&client, "/search").await;
        assert_eq!(status, StatusCode::OK, "{username} after login");
        Session {
            client,
            csrf: csrf_of(&page),
        }
    }

    async fn try_login(
        &self,
        client: &Client,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        let (status, page) = self.text(client, "/login").await;
        assert_eq!(status, StatusCode::OK);
        let csrf = csrf_of(&page);
        client
            .post(self.url("/login"))
            .form(&[
                ("username", username),
                ("password", password),
                ("csrf", &csrf),
                ("next", ""),
            ])
            .send()
            .await
            .unwrap()
    }

    /// A bearer token for a user, made the way an administrator would.
    async fn token(&self, username: &str) -> String {
        let (user, _) = self
            .store
            .user_by_username(username)
            .await
            .unwrap()
            .unwrap();
        let (secret, hash) = vx_web::new_api_token();
        self.store
            .create_api_token(&Actor::system("test"), user.id, "test", &hash)
            .await
            .unwrap();
        secret
    }

    async fn api(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Client::new()
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

pub(crate) struct Session {
    client: Client,
    csrf: String,
}

/// The CSRF token of the first form on a page.
pub(crate) fn csrf_of(page: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).expect("a form with a CSRF token") + marker.len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end].to_string()
}

// ---------------------------------------------------------------------------------------
// Seed: Bến Tre (83) → Châu Thành (831) → Phước Thạnh (28846), Tân Thạch (28804), two
// hamlets each; and Trà Vinh (84) → Càng Long (842) → Tân An (29242) → one hamlet, to be
// outside the province and district officers' scope.

pub(crate) struct Seed {
    households: HashMap<&'static str, Household>,
    people: HashMap<&'static str, Person>,
}

pub(crate) fn unit(
    code: &str,
    parent: Option<&str>,
    level: UnitLevel,
    name: &str,
    population: Option<i64>,
) -> UnitInput {
    UnitInput {
        code: UnitCode::parse(code).unwrap(),
        parent_code: parent.map(|p| UnitCode::parse(p).unwrap()),
        level,
        kind: match level {
            UnitLevel::Province => "tinh",
            UnitLevel::District => "huyen",
            UnitLevel::Commune => "xa",
            UnitLevel::Hamlet => "ap",
        }
        .into(),
        name: name.into(),
        full_name: match level {
            UnitLevel::Province => format!("Tỉnh {name}"),
            UnitLevel::District => format!("Huyện {name}"),
            UnitLevel::Commune => format!("Xã {name}"),
            UnitLevel::Hamlet => name.to_string(),
        },
        population,
    }
}

pub(crate) fn household(code: &str, unit: &str, head: &str) -> NewHousehold {
    NewHousehold {
        code: HouseholdCode::parse(code).unwrap(),
        unit_code: UnitCode::parse(unit).unwrap(),
        head_name: PersonName::parse(head).unwrap(),
        address: "Đường số 1".into(),
        phone: None,
        poor: false,
        lost_income: false,
    }
}

pub(crate) fn person(hh: &str, name: &str, birth: &str, sex: Sex, id: Option<&str>) -> NewPerson {
    NewPerson {
        household_code: HouseholdCode::parse(hh).unwrap(),
        full_name: PersonName::parse(name).unwrap(),
        birth: Birth::parse(birth, "2021-09-01".parse().unwrap()).unwrap(),
        sex,
        citizen_id: id.map(|i| CitizenId::parse(i).unwrap()),
        phone: None,
        relation: Relation::Head,
    }
}

pub(crate) async fn seed(store: &Store) -> Seed {
    let actor = Actor::system("seed");
    let rows = vec![
        unit("83", None, UnitLevel::Province, "Bến Tre", Some(1_288_463)),
        unit(
            "831",
            Some("83"),
            UnitLevel::District,
            "Châu Thành",
            Some(160_000),
        ),
        unit(
            "28846",
            Some("831"),
            UnitLevel::Commune,
            "Phước Thạnh",
            Some(9_876),
        ),
        unit("28804", Some("831"), UnitLevel::Commune, "Tân Thạch", None),
        unit("2884601", Some("28846"), UnitLevel::Hamlet, "Ấp 1", None),
        unit("2884602", Some("28846"), UnitLevel::Hamlet, "Ấp 2", None),
        unit("2880401", Some("28804"), UnitLevel::Hamlet, "Ấp 1", None),
        unit("2880402", Some("28804"), UnitLevel::Hamlet, "Ấp 2", None),
        unit("84", None, UnitLevel::Province, "Trà Vinh", None),
        unit("842", Some("84"), UnitLevel::District, "Càng Long", None),
        unit("29242", Some("842"), UnitLevel::Commune, "Tân An", None),
        unit("2924201", Some("29242"), UnitLevel::Hamlet, "Ấp Một", None),
    ];
    let located = rows
        .into_iter()
        .enumerate()
        .map(|(i, value)| Located {
            row: i as u32 + 2,
            value,
        })
        .collect();
    store
        .import_units(&actor, located, None, &ImportOptions::default())
        .await
        .unwrap();

    let mut households = HashMap::new();
    for (key, code, unit, head) in [
        ("A", "2884601-0001", "2884601", "Nguyễn Văn An"),
        ("B", "2884602-0001", "2884602", "Trần Văn Bảy"),
        ("C", "2880401-0001", "2880401", "Lê Thị Cúc"),
        ("D", "2924201-0001", "2924201", "Phạm Văn Dũng"),
    ] {
        let h = store
            .create_household(&actor, &household(code, unit, head))
            .await
            .unwrap();
        households.insert(key, h);
    }
    let mut people = HashMap::new();
    for (key, hh, name, birth, sex, id) in [
        (
            "A",
            "2884601-0001",
            "Nguyễn Văn An",
            "1980-05-01",
            Sex::Male,
            Some("083080001234"),
        ),
        ("B", "2884602-0001", "Trần Văn Bảy", "1975", Sex::Male, None),
        (
            "C",
            "2880401-0001",
            "Lê Thị Cúc",
            "1990-02-03",
            Sex::Female,
            None,
        ),
        (
            "D",
            "2924201-0001",
            "Phạm Văn Dũng",
            "1966",
            Sex::Male,
            None,
        ),
        // Namesakes of A with the same birth: a duplicate suggestion in Ấp 2 (seen by the
        // commune, not by Ấp 1's team) and one in Tân Thạch (seen by neither).
        (
            "A-ap2",
            "2884602-0001",
            "Nguyễn Văn An",
            "1980-05-01",
            Sex::Male,
            None,
        ),
        (
            "A-tanthach",
            "2880401-0001",
            "Nguyễn Văn An",
            "1980-05-01",
            Sex::Male,
            None,
        ),
    ] {
        let p = store
            .create_person(&actor, &person(hh, name, birth, sex, id))
            .await
            .unwrap();
        people.insert(key, p);
    }

    for (username, display, role, scope) in [
        ("admin", "Quản trị viên", Role::Admin, vec![]),
        ("tinh", "Cán bộ tỉnh Bến Tre", Role::Province, vec!["83"]),
        (
            "huyen",
            "Cán bộ huyện Châu Thành",
            Role::District,
            vec!["831"],
        ),
        ("xa", "Cán bộ xã Phước Thạnh", Role::Commune, vec!["28846"]),
        ("ap", "Tổ COVID Ấp 1", Role::Hamlet, vec!["2884601"]),
        (
            "xetnghiem",
            "Phòng xét nghiệm",
            Role::Laboratory,
            vec!["83"],
        ),
    ] {
        store
            .create_user(
                &actor,
                &NewUser {
                    username: username.into(),
                    display_name: display.into(),
                    password_hash: password_hash().to_string(),
                    role,
                    scope: scope.iter().map(|c| UnitCode::parse(c).unwrap()).collect(),
                },
            )
            .await
            .unwrap();
    }
    Seed { households, people }
}

// ---------------------------------------------------------------------------------------
// The scope matrix

/// What a route is aimed at: a commune, a hamlet, a household and a person.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target {
    commune: &'static str,
    hamlet: &'static str,
    household: &'static str,
    person: &'static str,
}

/// Inside every scoped role's scope: Phước Thạnh, its Ấp 1, household A, person A.
pub(crate) const INSIDE: Target = Target {
    commune: "28846",
    hamlet: "2884601",
    household: "A",
    person: "A",
};
pub(crate) const TAN_THACH: Target = Target {
    commune: "28804",
    hamlet: "2880401",
    household: "C",
    person: "C",
};
pub(crate) const TRA_VINH: Target = Target {
    commune: "29242",
    hamlet: "2924201",
    household: "D",
    person: "D",
};
/// Outside Ấp 1's team: the neighbouring hamlet (and commune Tân Thạch).
pub(crate) const AP_2: Target = Target {
    commune: "28804",
    hamlet: "2884602",
    household: "B",
    person: "B",
};

/// The roles in the matrix's column order, and what "outside" means for each.
pub(crate) const ROLES: [(&str, Target); 6] = [
    ("admin", TAN_THACH),
    ("tinh", TRA_VINH),
    ("huyen", TRA_VINH),
    ("xa", TAN_THACH),
    ("ap", AP_2),
    ("xetnghiem", TAN_THACH),
];

#[derive(Debug, Clone, Copy)]
pub(crate) enum Body {
    None,
    /// A JSON object (API, bearer token).
    Json(&'static [(&'static str, &'static str)]),
    /// A form with the session's CSRF token (pages, session cookie).
    Form(&'static [(&'static str, &'static str)]),
}

/// Searching for the target person must not show it where its page answers 404.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Leak {
    No,
    Person,
}

pub(crate) struct Case {
    method: &'static str,
    path: &'static str,
    body: Body,
    leak: Leak,
    /// Expected status per role, inside then outside its scope:
    /// admin, province 83, district 831, commune 28846, hamlet 2884601, laboratory.
    expect: [u16; 12],
}

pub(crate) const HH_FIELDS: &[(&str, &str)] = &[
    ("code", "{hh_code}"),
    ("unit_code", "{hh_unit}"),
    ("head_name", "{hh_head}"),
    ("address", "Sửa lần {n}"),
    ("phone", "0912 345 678"),
];
pub(crate) const PERSON_FIELDS: &[(&str, &str)] = &[
    ("household_code", "{person_hh}"),
    ("full_name", "{person_name}"),
    ("birth", "{person_birth}"),
    ("sex", "{person_sex}"),
    ("citizen_id", "{person_cid}"),
    ("relation", "chủ hộ"),
];

#[rustfmt::skip]
pub(crate) const MATRIX: &[Case] = &[
    //                                                                   admin     province  district  commune   hamlet    lab
    //                                                                   in  out   in  out   in  out   in  out   in  out   in  out
    // ---- JSON API (bearer token)
    Case { method: "GET", path: "/api/v1/units", body: Body::None, leak: Leak::No,
        expect: [200,200, 200,200, 200,200, 200,200, 200,200, 200,200] },
    Case { method: "GET", path: "/api/v1/units/{commune}", body: Body::None, leak: Leak::No,
        expect: [200,200, 200,404, 200,404, 200,404, 404,404, 404,404] },
    Case { method: "GET", path: "/api/v1/units/{hamlet}", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 200,404, 200,404, 200,404, 404,404] },
    Case { method: "GET", path: "/api/v1/units/{commune}/households", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 404,404, 404,404] },
    Case { method: "GET", path: "/api/v1/units/{hamlet}/households", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "GET", path: "/api/v1/units/{hamlet}/people", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "GET", path: "/api/v1/households?unit={hamlet}", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "POST", path: "/api/v1/households", leak: Leak::No,
        body: Body::Json(&[("code", "API-{n}"), ("unit_code", "{hamlet}"), ("head_name", "Võ Văn {letters}")]),
        expect: [201,201, 404,404, 404,404, 201,404, 201,404, 404,404] },
    Case { method: "GET", path: "/api/v1/households/{hh}", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "PUT", path: "/api/v1/households/{hh}", body: Body::Json(HH_FIELDS), leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "POST", path: "/api/v1/households/{hh}/deactivate", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "POST", path: "/api/v1/households/{hh}/activate", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "GET", path: "/api/v1/people?unit={hamlet}", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "GET", path: "/api/v1/people?household={hh}", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "POST", path: "/api/v1/people", leak: Leak::No,
        body: Body::Json(&[("household_code", "{hh_code}"), ("full_name", "Đỗ Thị {letters}"), ("birth", "2001"), ("sex", "nữ")]),
        expect: [201,201, 404,404, 404,404, 201,404, 201,404, 404,404] },
    Case { method: "GET", path: "/api/v1/people/{person}", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "PUT", path: "/api/v1/people/{person}", body: Body::Json(PERSON_FIELDS), leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "POST", path: "/api/v1/people/{person}/deactivate", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "POST", path: "/api/v1/people/{person}/activate", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "GET", path: "/api/v1/people/{person}/duplicates", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "GET", path: "/api/v1/search?q={person_name_q}", body: Body::None, leak: Leak::Person,
        expect: [200,200, 200,200, 200,200, 200,200, 200,200, 200,200] },
    Case { method: "GET", path: "/api/v1/audit", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 404,404, 404,404, 404,404] },
    Case { method: "GET", path: "/api/v1/audit?entity=person&id={person}", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 404,404, 404,404, 404,404] },
    // ---- Pages (session cookie; POSTs carry the CSRF token)
    Case { method: "GET", path: "/", body: Body::None, leak: Leak::No,
        expect: [200,200, 303,303, 303,303, 303,303, 303,303, 200,200] },
    Case { method: "GET", path: "/units/{commune}", body: Body::None, leak: Leak::No,
        expect: [200,200, 200,404, 200,404, 200,404, 404,404, 404,404] },
    Case { method: "GET", path: "/units/{hamlet}", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 200,404, 200,404, 200,404, 404,404] },
    Case { method: "GET", path: "/units/{commune}/households", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 404,404, 404,404] },
    Case { method: "GET", path: "/units/{hamlet}/households", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "GET", path: "/households/new?unit={hamlet}", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "POST", path: "/households/new?unit={hamlet}", leak: Leak::No,
        body: Body::Form(&[("code", "WEB-{n}"), ("head_name", "Huỳnh Văn {letters}"), ("poor", "1")]),
        expect: [303,303, 404,404, 404,404, 303,404, 303,404, 404,404] },
    Case { method: "GET", path: "/households/{hh}", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "GET", path: "/households/{hh}/edit", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "POST", path: "/households/{hh}/edit", body: Body::Form(HH_FIELDS), leak: Leak::No,
        expect: [303,303, 404,404, 404,404, 303,404, 303,404, 404,404] },
    Case { method: "POST", path: "/households/{hh}/deactivate", body: Body::Form(&[]), leak: Leak::No,
        expect: [303,303, 404,404, 404,404, 303,404, 303,404, 404,404] },
    Case { method: "POST", path: "/households/{hh}/activate", body: Body::Form(&[]), leak: Leak::No,
        expect: [303,303, 404,404, 404,404, 303,404, 303,404, 404,404] },
    Case { method: "GET", path: "/people/new?household={hh_code}", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "POST", path: "/people/new?household={hh_code}", leak: Leak::No,
        body: Body::Form(&[("full_name", "Bùi Thị {letters}"), ("birth", "03/04/2005"), ("sex", "female"), ("relation", "child")]),
        expect: [303,303, 404,404, 404,404, 303,404, 303,404, 404,404] },
    Case { method: "GET", path: "/people/{person}", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "GET", path: "/people/{person}/edit", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 200,404, 200,404, 404,404] },
    Case { method: "POST", path: "/people/{person}/edit", body: Body::Form(PERSON_FIELDS), leak: Leak::No,
        expect: [303,303, 404,404, 404,404, 303,404, 303,404, 404,404] },
    Case { method: "POST", path: "/people/{person}/deactivate", body: Body::Form(&[]), leak: Leak::No,
        expect: [303,303, 404,404, 404,404, 303,404, 303,404, 404,404] },
    Case { method: "POST", path: "/people/{person}/activate", body: Body::Form(&[]), leak: Leak::No,
        expect: [303,303, 404,404, 404,404, 303,404, 303,404, 404,404] },
    Case { method: "GET", path: "/search?q={person_name_q}", body: Body::None, leak: Leak::Person,
        expect: [200,200, 200,200, 200,200, 200,200, 200,200, 200,200] },
    Case { method: "GET", path: "/admin/audit", body: Body::None, leak: Leak::No,
        expect: [200,200, 404,404, 404,404, 404,404, 404,404, 404,404] },
];

/// Whether a role sees a person inside/outside its scope (the `/api/v1/people/{id}` row).
pub(crate) fn sees_person(column: usize) -> bool {
    [
        true, true, false, false, false, false, true, false, true, false, false, false,
    ][column]
}

/// Letters only (names refuse digits): 0 → "A", 27 → "Bb".
pub(crate) fn letters(mut n: usize) -> String {
    let mut out = String::new();
    loop {
        let c = (b'a' + (n % 26) as u8) as char;
        out.insert(0, c);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    let mut cs = out.chars();
    let first = cs.next().unwrap().to_ascii_uppercase();
    format!("{first}{}", cs.as_str())
}

pub(crate) fn fill(template: &str, app: &App, t: &Target, n: usize) -> String {
    let hh = &app.seed.households[t.household];
    let p = &app.seed.people[t.person];
    template
        .replace("{commune}", t.commune)
        .replace("{hamlet}", t.hamlet)
        .replace("{hh_code}", hh.data.code.as_str())
        .replace("{hh_unit}", hh.data.unit_code.as_str())
        .replace("{hh_head}", hh.data.head_name.as_str())
        .replace("{hh}", &hh.id.to_string())
        .replace("{person_hh}", p.data.household_code.as_str())
        .replace(
            "{person_name_q}",
            &vx_domain::fold(p.data.full_name.as_str()).replace(' ', "+"),
        )
        .replace("{person_name}", p.data.full_name.as_str())
        .replace("{person_birth}", &p.data.birth.to_string())
        .replace("{person_sex}", p.data.sex.as_str())
        .replace(
            "{person_cid}",
            p.data.citizen_id.as_ref().map(|c| c.as_str()).unwrap_or(""),
        )
        .replace("{person}", &p.id.to_string())
        .replace("{letters}", &letters(n))
        .replace("{n}", &n.to_string())
}

#[tokio::test]
async fn scope_matrix_every_route_every_role_inside_and_outside() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let mut sessions = HashMap::new();
        let mut tokens = HashMap::new();
        for (username, _) in ROLES {
            sessions.insert(username, app.login(username).await);
            tokens.insert(username, app.token(username).await);
        }
        let mut failures = Vec::new();
        let mut n = 0usize;
        let mut cases = 0;
        for case in MATRIX {
            for (r, (username, outside)) in ROLES.iter().enumerate() {
                for (s, target) in [INSIDE, *outside].iter().enumerate() {
                    let column = r * 2 + s;
                    let expected = case.expect[column];
                    n += 1;
                    cases += 1;
                    let path = fill(case.path, &app, target, n);
                    let method = Method::from_bytes(case.method.as_bytes()).unwrap();
                    let session = &sessions[username];
                    let request = if path.starts_with("/api/") {
                        let mut req = Client::new()
                            .request(method, app.url(&path))
                            .bearer_auth(&tokens[username]);
                        if let Body::Json(fields) = case.body {
                            let obj: serde_json::Map<String, Value> = fields
                                .iter()
                                .map(|(k, v)| {
                                    (k.to_string(), Value::String(fill(v, &app, target, n)))
                                })
                                .collect();
                            req = req.json(&obj);
                        }
                        req
                    } else {
                        let mut req = session.client.request(method, app.url(&path));
                        if let Body::Form(fields) = case.body {
                            let mut form: Vec<(String, String)> = fields
                                .iter()
                                .map(|(k, v)| (k.to_string(), fill(v, &app, target, n)))
                                .collect();
                            form.push(("csrf".into(), session.csrf.clone()));
                            req = req.form(&form);
                        }
                        req
                    };
                    let response = request.send().await.unwrap();
                    let status = response.status().as_u16();
                    let body = response.text().await.unwrap();
                    let scope = if s == 0 { "inside" } else { "outside" };
                    if status != expected {
                        failures.push(format!(
                            "{} {} as {username} ({scope}): expected {expected}, got {status}: {}",
                            case.method,
                            path,
                            body.chars().take(200).collect::<String>()
                        ));
                    }
                    if case.leak == Leak::Person && !sees_person(column) {
                        let p = &app.seed.people[target.person];
                        let h = &app.seed.households[target.household];
                        let leaked = body.contains(&format!("/people/{}\"", p.id))
                            || body.contains(&format!("\"full_name\":\"{}\"", p.data.full_name))
                            || body.contains(&format!("/households/{}\"", h.id))
                            || body.contains(&format!("\"head_name\":\"{}\"", h.data.head_name));
                        if leaked {
                            failures.push(format!(
                                "{path} as {username} ({scope}) shows person {}",
                                p.id
                            ));
                        }
                    }
                    if status == 404
                        && body.contains(app.seed.people[target.person].data.full_name.as_str())
                    {
                        failures.push(format!(
                            "{path} as {username} ({scope}): a 404 names the person"
                        ));
                    }
                }
            }
        }
        // Without credentials: the API answers 401, pages send to the login form.
        let anonymous = browser();
        for case in MATRIX {
            let path = fill(case.path, &app, &INSIDE, 0);
            let method = Method::from_bytes(case.method.as_bytes()).unwrap();
            let r = anonymous
                .request(method, app.url(&path))
                .send()
                .await
                .unwrap();
            cases += 1;
            let ok = if path.starts_with("/api/") {
                r.status() == StatusCode::UNAUTHORIZED
            } else {
                r.status() == StatusCode::SEE_OTHER
                    && r.headers()[reqwest::header::LOCATION]
                        .to_str()
                        .unwrap()
                        .starts_with("/login")
            };
            if !ok {
                failures.push(format!(
                    "{} {path} anonymous: got {}",
                    case.method,
                    r.status()
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {cases} cases failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
        assert_eq!(cases, MATRIX.len() * 13);

        // Nothing outside a writer's scope was written: entities out of everyone's scope
        // but the admin's carry only the seed's (and the admin's) records.
        let admin = app.token("admin").await;
        for (entity, id, allowed) in [
            ("household", app.seed.households["B"].id, &["seed"][..]),
            ("household", app.seed.households["D"].id, &["seed"][..]),
            (
                "household",
                app.seed.households["C"].id,
                &["seed", "admin"][..],
            ),
            ("person", app.seed.people["B"].id, &["seed"][..]),
            ("person", app.seed.people["D"].id, &["seed"][..]),
            ("person", app.seed.people["C"].id, &["seed", "admin"][..]),
        ] {
            let (status, log) = app
                .api(
                    &admin,
                    Method::GET,
                    &format!("/api/v1/audit?entity={entity}&id={id}&limit=500"),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            for e in log["items"].as_array().unwrap() {
                let actor = e["actor"].as_str().unwrap();
                assert!(allowed.contains(&actor), "{entity} {id} written by {actor}");
            }
        }
        // And inside, each writer's changes are on record.
        let (_, log) = app
            .api(
                &admin,
                Method::GET,
                &format!(
                    "/api/v1/audit?entity=household&id={}&limit=500",
                    app.seed.households["A"].id
                ),
                None,
            )
            .await;
        let actors: Vec<&str> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["actor"].as_str().unwrap())
            .collect();
        for who in ["admin", "xa", "ap"] {
            assert!(
                actors.contains(&who),
                "{who} edited household A: {actors:?}"
            );
        }
        for who in ["tinh", "huyen", "xetnghiem"] {
            assert!(!actors.contains(&who), "{who} must not write: {actors:?}");
        }
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// The chain of knowing, spelled out

#[tokio::test]
async fn commune_officer_reads_nothing_of_tan_thach() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let xa = app.login("xa").await;
        let token = app.token("xa").await;
        let c = &app.seed.people["C"];
        let hc = &app.seed.households["C"];
        for path in [
            format!("/people/{}", c.id),
            format!("/people/{}/edit", c.id),
            format!("/households/{}", hc.id),
            "/units/2880401".to_string(),
            "/units/28804".to_string(),
            "/units/2880401/households".to_string(),
            format!("/people/new?household={}", hc.data.code),
        ] {
            let (status, _) = app.text(&xa.client, &path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
        for path in [
            format!("/api/v1/people/{}", c.id),
            format!("/api/v1/people/{}/duplicates", c.id),
            format!("/api/v1/households/{}", hc.id),
            format!("/api/v1/people?household={}", hc.id),
            "/api/v1/units/2880401/people".to_string(),
            "/api/v1/units/28804".to_string(),
        ] {
            let (status, body) = app.api(&token, Method::GET, &path, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(body["error"], "not found");
        }
        // Lists and searches leave Tân Thạch out.
        let (_, all) = app
            .api(&token, Method::GET, "/api/v1/people?limit=500", None)
            .await;
        let names: Vec<&str> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["household_code"].as_str().unwrap())
            .collect();
        assert!(!names.is_empty());
        assert!(names.iter().all(|h| h.starts_with("28846")), "{names:?}");
        let (_, found) = app
            .api(&token, Method::GET, "/api/v1/search?q=le+thi+cuc", None)
            .await;
        assert_eq!(found["people"], json!([]));
        // Duplicates of A: the namesake in Ấp 2 (same commune), not the one in Tân Thạch.
        let a = &app.seed.people["A"];
        let (_, dups) = app
            .api(
                &token,
                Method::GET,
                &format!("/api/v1/people/{}/duplicates", a.id),
                None,
            )
            .await;
        let ids: Vec<i64> = dups["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["person"]["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![app.seed.people["A-ap2"].id]);
        assert_eq!(dups["items"][0]["reasons"], json!(["name", "birth"]));
        // The admin sees both; Ấp 1's team neither.
        let admin = app.token("admin").await;
        let (_, dups) = app
            .api(
                &admin,
                Method::GET,
                &format!("/api/v1/people/{}/duplicates", a.id),
                None,
            )
            .await;
        assert_eq!(dups["items"].as_array().unwrap().len(), 2);
        let ap = app.token("ap").await;
        let (_, dups) = app
            .api(
                &ap,
                Method::GET,
                &format!("/api/v1/people/{}/duplicates", a.id),
                None,
            )
            .await;
        assert_eq!(dups["items"], json!([]));
        // Writing into Tân Thạch through a body field is refused as not found.
        let (status, body) = app
            .api(
                &token,
                Method::POST,
                "/api/v1/households",
                Some(json!({
                    "code": "X-1", "unit_code": "2880401", "head_name": "Nguyễn Văn Xa"
                })),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["field"], "unit_code");
        let (status, body) = app
            .api(
                &token,
                Method::PUT,
                &format!("/api/v1/people/{}", a.id),
                Some(json!({
                    "household_code": hc.data.code.as_str(), "full_name": "Nguyễn Văn An",
                    "birth": "1980-05-01", "sex": "nam", "citizen_id": "083080001234"
                })),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["field"], "household_code");
    })
    .await;
}

#[tokio::test]
async fn district_sees_hamlet_figures_and_province_commune_figures_no_person() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let huyen = app.login("huyen").await;
        // The hamlet page: its figures, no household list, no add button.
        let (status, page) = app.text(&huyen.client, "/units/2884602").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Hộ gia đình") && page.contains("Nhân khẩu"));
        assert!(!page.contains(app.seed.households["B"].data.code.as_str()));
        assert!(!page.contains("/households/new"));
        let token = app.token("huyen").await;
        let (status, unit) = app
            .api(&token, Method::GET, "/api/v1/units/2884602", None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (unit["households"].as_i64(), unit["people"].as_i64()),
            (Some(1), Some(2))
        );
        // The commune page lists its hamlets with figures, linked.
        let (_, commune) = app
            .api(&token, Method::GET, "/api/v1/units/28846", None)
            .await;
        let kids: Vec<&str> = commune["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["code"].as_str().unwrap())
            .collect();
        assert_eq!(kids, ["2884601", "2884602"]);
        assert_eq!(commune["people"], 3);
        let (_, page) = app.text(&huyen.client, "/units/28846").await;
        assert!(page.contains("href=\"/units/2884601\""));
        // No person at all.
        let (_, found) = app
            .api(&token, Method::GET, "/api/v1/search?q=nguyen", None)
            .await;
        assert_eq!(found["people"], json!([]));
        let (status, _) = app.api(&token, Method::GET, "/api/v1/people", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The province: communes with figures, no hamlets, no people.
        let tinh = app.token("tinh").await;
        let (_, district) = app.api(&tinh, Method::GET, "/api/v1/units/831", None).await;
        assert_eq!(district["children"].as_array().unwrap().len(), 2);
        let (_, commune) = app
            .api(&tinh, Method::GET, "/api/v1/units/28846", None)
            .await;
        assert_eq!(commune["children"], json!([]));
        assert_eq!(commune["households"], 2);
        let tinh_page = app.login("tinh").await;
        let (_, page) = app.text(&tinh_page.client, "/units/28846").await;
        assert!(!page.contains("/units/2884601"), "no link down to hamlets");
        let (_, found) = app
            .api(&tinh, Method::GET, "/api/v1/search?q=ap", None)
            .await;
        assert_eq!(
            found["units"],
            json!([]),
            "hamlets are below the province's sight"
        );
        let (_, found) = app
            .api(&tinh, Method::GET, "/api/v1/search?q=nguyen+van+an", None)
            .await;
        assert_eq!(found["people"], json!([]));
        // The laboratory sees no unit.
        let lab = app.token("xetnghiem").await;
        let (status, units) = app.api(&lab, Method::GET, "/api/v1/units", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(units["items"], json!([]));
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// Health, OpenAPI, headers, assets

#[tokio::test]
async fn healthz_answers_ok_then_503_when_the_store_is_gone() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let r = Client::new().get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.text().await.unwrap(), "ok");
        app.store.close().await;
        let r = Client::new().get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    })
    .await;
}

#[tokio::test]
async fn openapi_lists_every_api_route() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let r = Client::new()
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let doc: Value = r.json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let paths = doc["paths"].as_object().unwrap();
        let mut expected: Vec<(String, String)> = MATRIX
            .iter()
            .filter(|c| c.path.starts_with("/api/"))
            .map(|c| {
                let path = c
                    .path
                    .split('?')
                    .next()
                    .unwrap()
                    .replace("{hh}", "{id}")
                    .replace("{person}", "{id}")
                    .replace("{commune}", "{code}")
                    .replace("{hamlet}", "{code}");
                (c.method.to_ascii_lowercase(), path)
            })
            .collect();
        expected.push(("get".into(), "/api/v1/openapi.json".into()));
        expected.push(("get".into(), "/healthz".into()));
        expected.extend(
            epi::API_ROUTES
                .iter()
                .chain(zones::API_ROUTES)
                .chain(ops::API_ROUTES)
                .chain(exchange::API_ROUTES)
                .chain(fhir::API_ROUTES)
                .chain(field::API_ROUTES)
                .map(|(m, p)| (m.to_string(), p.to_string())),
        );
        for (method, path) in &expected {
            assert!(
                paths.get(path).and_then(|p| p.get(method)).is_some(),
                "{method} {path} missing from openapi.json"
            );
        }
        let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
        let mut distinct = expected.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(
            documented,
            distinct.len(),
            "openapi.json documents routes the matrix does not test"
        );
        // Security schemes for both ways in.
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["bearer"]["scheme"], "bearer");
        assert_eq!(schemes["session"]["name"], "vx_session");
    })
    .await;
}

#[tokio::test]
async fn pages_carry_security_headers_and_the_stylesheet_is_cached() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let client = browser();
        let r = app.get(&client, "/login").await;
        let h = r.headers();
        assert!(h["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'self'"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert_eq!(h["x-frame-options"], "DENY");
        assert!(
            !h.contains_key("strict-transport-security"),
            "HSTS only when served over HTTPS (--secure-cookies)"
        );
        let page = r.text().await.unwrap();
        // Nothing from outside: no absolute URLs in src/href, no scripts.
        assert!(
            !page.contains("http://") && !page.contains("https://") && !page.contains("<script")
        );
        let start = page.find("/assets/app.css").unwrap();
        let css_url = &page[start..start + page[start..].find('"').unwrap()];
        let r = app.get(&client, css_url).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css"));
        assert!(r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=31536000"));
        assert!(r.text().await.unwrap().contains("overflow-x:auto"));
        // An unknown page is a 404 page in Vietnamese; an unknown API path is JSON.
        let (status, page) = app.text(&client, "/khong-co").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(page.contains("Không tìm thấy"));
        let r = app.get(&client, "/api/v1/khong-co").await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "not found");
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// Login, sessions, CSRF

#[tokio::test]
async fn login_success_failure_logout_and_cookie_attributes() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let client = browser();
        // Pages need a session.
        let r = app.get(&client, "/units/28846").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/login?next=/units/28846");
        // Wrong password: refused, the username kept.
        let r = app.try_login(&client, "xa", "sai").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let page = r.text().await.unwrap();
        assert!(page.contains("Sai tên đăng nhập hoặc mật khẩu"));
        assert!(page.contains("value=\"xa\""));
        // Unknown user: the same answer.
        let r = app.try_login(&client, "khongai", "sai").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        // Right password: a session cookie, HttpOnly, SameSite=Lax, Path=/.
        let r = app.try_login(&client, "xa", PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("vx_session="))
            .unwrap();
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax")
                && cookie.contains("Path=/")
        );
        assert!(!cookie.contains("Secure"));
        let token = cookie
            .trim_start_matches("vx_session=")
            .split(';')
            .next()
            .unwrap();
        assert!(token.len() >= 43, "32 random bytes");
        // Home sends the commune officer to its commune.
        let r = app.get(&client, "/").await;
        assert_eq!(r.headers()["location"], "/units/28846");
        // The cookie also opens the API for reading...
        let r = app.get(&client, "/api/v1/units/28846").await;
        assert_eq!(r.status(), StatusCode::OK);
        // ...and for writing only with the CSRF header.
        let (_, page) = app.text(&client, "/units/28846").await;
        let csrf = csrf_of(&page);
        let hh = app.seed.households["A"].id;
        let r = client
            .post(app.url(&format!("/api/v1/households/{hh}/deactivate")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = client
            .post(app.url(&format!("/api/v1/households/{hh}/deactivate")))
            .header("x-csrf-token", &csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        // Logout ends the session on the server too.
        let r = client
            .post(app.url("/logout"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let stolen = Client::new()
            .get(app.url("/api/v1/units"))
            .header("cookie", format!("vx_session={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(stolen.status(), StatusCode::UNAUTHORIZED);
        // After login the browser goes where it was going, never off-site.
        for (next, expected) in [
            ("/units/2884601?lang=vi", "/units/2884601?lang=vi"),
            ("//evil.example/", "/"),
        ] {
            let c = browser();
            let (_, page) = app.text(&c, &format!("/login?next={next}")).await;
            let r = c
                .post(app.url("/login"))
                .form(&[
                    ("username", "xa"),
                    ("password", PASSWORD),
                    ("csrf", &csrf_of(&page)),
                    ("next", next),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.headers()["location"], expected);
        }
        // A bad bearer token does not fall back to anything.
        let (status, _) = app
            .api("vx_nonsense", Method::GET, "/api/v1/units", None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn secure_cookies_when_configured() {
    each_backend(|ts| async move {
        let app = spawn_app_with(
            ts,
            WebConfig {
                secure_cookies: true,
                session_hours: 2,
                trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
                ..Default::default()
            },
        )
        .await;
        let client = browser();
        let r = app.try_login(&client, "xa", PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("vx_session="))
            .unwrap();
        assert!(
            cookie.contains("; Secure") && cookie.contains("Max-Age=7200"),
            "{cookie}"
        );
        // Browsers keep to HTTPS once they have seen it.
        let r = app.get(&client, "/login").await;
        assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    })
    .await;
}

#[tokio::test]
async fn posts_without_the_csrf_token_are_refused() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let xa = app.login("xa").await;
        let hh = &app.seed.households["A"];
        for (path, form) in [
            (format!("/households/{}/deactivate", hh.id), vec![]),
            (
                format!("/households/{}/deactivate", hh.id),
                vec![("csrf", "wrong")],
            ),
            (
                "/households/new?unit=2884601".to_string(),
                vec![("code", "NO-CSRF"), ("head_name", "Lý Văn Tư")],
            ),
            ("/logout".to_string(), vec![]),
        ] {
            let r = xa
                .client
                .post(app.url(&path))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        }
        assert!(app
            .store
            .household_by_code("NO-CSRF")
            .await
            .unwrap()
            .is_none());
        assert!(app.store.household(hh.id).await.unwrap().unwrap().active);
        // The login form has its own token (a cookie and a hidden field).
        let r = browser()
            .post(app.url("/login"))
            .form(&[("username", "xa"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// Writes: forms and API, errors, audit

#[tokio::test]
async fn forms_create_edit_deactivate_and_the_audit_log_shows_it() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let xa = app.login("xa").await;
        // A bad form comes back with the errors next to the fields and the input kept.
        let r = xa
            .client
            .post(app.url("/households/new?unit=2884602"))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("code", "2884602-0002"),
                ("head_name", "Trương Văn 3"),
                ("phone", "12345"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text().await.unwrap();
        assert!(page.contains("id=\"head_name-error\""), "name error shown");
        assert!(page.contains("id=\"phone-error\""), "phone error shown");
        assert!(page.contains("value=\"Trương Văn 3\"") && page.contains("value=\"12345\""));
        assert!(page.contains("Không phải số điện thoại Việt Nam"));
        // Fixed, it is created and the browser goes to the household's page.
        let r = xa
            .client
            .post(app.url("/households/new?unit=2884602"))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("code", "2884602-0002"),
                ("head_name", "Trương Văn Ba"),
                ("phone", "0912 345 678"),
                ("lost_income", "1"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let location = r.headers()["location"].to_str().unwrap().to_string();
        let hh_id: i64 = location.trim_start_matches("/households/").parse().unwrap();
        let (status, page) = app.text(&xa.client, &location).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Trương Văn Ba") && page.contains("+84912345678"));
        // Same code again: the field says so.
        let r = xa
            .client
            .post(app.url("/households/new?unit=2884602"))
            .form(&[("csrf", xa.csrf.as_str()), ("code", "2884602-0002"), ("head_name", "Trương Văn Tư")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("Mã hộ này đã được dùng"));
        // A member.
        let r = xa
            .client
            .post(app.url("/people/new?household=2884602-0002"))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("full_name", "Trương Thị Năm"),
                ("birth", "05/06/1999"),
                ("sex", "female"),
                ("citizen_id", "083199001234"),
                ("relation", "child"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let person_path = r.headers()["location"].to_str().unwrap().to_string();
        let person_id: i64 = person_path.trim_start_matches("/people/").parse().unwrap();
        let (_, page) = app.text(&xa.client, &person_path).await;
        assert!(page.contains("05/06/1999"), "dates DD/MM/YYYY");
        // A CCCD that contradicts the birth year is refused on its field.
        let r = xa
            .client
            .post(app.url(&format!("/people/{person_id}/edit")))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("household_code", "2884602-0002"),
                ("full_name", "Trương Thị Năm"),
                ("birth", "05/06/1998"),
                ("sex", "female"),
                ("citizen_id", "083199001234"),
                ("relation", "child"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("id=\"citizen_id-error\""));
        // Edit the household, then deactivate it.
        let (_, form) = app.text(&xa.client, &format!("/households/{hh_id}/edit")).await;
        assert!(form.contains("value=\"2884602-0002\""));
        let r = xa
            .client
            .post(app.url(&format!("/households/{hh_id}/edit")))
            .form(&[
                ("csrf", xa.csrf.as_str()),
                ("code", "2884602-0002"),
                ("unit_code", "2884601"),
                ("head_name", "Trương Văn Ba"),
                ("address", "Tổ 3"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let moved = app.store.household(hh_id).await.unwrap().unwrap();
        assert_eq!(moved.data.unit_code.as_str(), "2884601");
        // Moving it to Tân Thạch is refused on the field, as if the unit did not exist.
        let r = xa
            .client
            .post(app.url(&format!("/households/{hh_id}/edit")))
            .form(&[("csrf", xa.csrf.as_str()), ("code", "2884602-0002"), ("unit_code", "2880401"), ("head_name", "Trương Văn Ba")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("Không tìm thấy đơn vị này trong phạm vi của bạn"));
        let r = xa
            .client
            .post(app.url(&format!("/households/{hh_id}/deactivate")))
            .form(&[("csrf", xa.csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(!app.store.household(hh_id).await.unwrap().unwrap().active);

        // Through the API, as a machine client.
        let token = app.token("ap").await;
        let (status, created) = app
            .api(&token, Method::POST, "/api/v1/households", Some(json!({
                "code": "2884601-0099", "unit_code": "2884601", "head_name": "Mai Văn Sáu",
                "poor": true, "phone": "0275 3822 123"
            })))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["phone"], "+842753822123");
        assert_eq!(created["poor"], true);
        let api_hh = created["id"].as_i64().unwrap();
        let (status, err) = app
            .api(&token, Method::POST, "/api/v1/people", Some(json!({
                "household_code": "2884601-0099", "full_name": "Mai Thị Bảy", "birth": "31/02/2000", "sex": "nữ"
            })))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err["field"], "birth");
        assert!(err["error"].as_str().unwrap().contains("not a date"));
        let (status, err) = app
            .api(&token, Method::POST, "/api/v1/people", Some(json!({
                "household_code": "2884601-0099", "full_name": "Mai Thị Bảy", "birth": "2000", "sex": "?"
            })))
            .await;
        assert_eq!((status, err["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("sex")));
        let (status, p) = app
            .api(&token, Method::POST, "/api/v1/people", Some(json!({
                "household_code": "2884601-0099", "full_name": "Mai Thị Bảy", "birth": "2000", "sex": "nữ",
                "relation": "con"
            })))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let api_person = p["id"].as_i64().unwrap();
        let (status, conflict) = app
            .api(&token, Method::POST, "/api/v1/people", Some(json!({
                "household_code": "2884601-0099", "full_name": "Mai Thị Bảy", "birth": "2000", "sex": "nữ"
            })))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(conflict["field"], "full_name");
        let (status, _) = app
            .api(&token, Method::POST, &format!("/api/v1/people/{api_person}/deactivate"), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, detail) = app.api(&token, Method::GET, &format!("/api/v1/households/{api_hh}"), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(detail["people"][0]["active"], false);
        assert_eq!(detail["members"], 0);
        let (status, bad) = app
            .api(&token, Method::PUT, &format!("/api/v1/households/{api_hh}"), Some(json!({"code": "2884601-0099"})))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad["field"], "unit_code");
        let fields: Vec<&str> = bad["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["unit_code", "head_name"]);

        // The audit log has it all, with before and after.
        let admin = app.token("admin").await;
        let (_, log) = app
            .api(&admin, Method::GET, &format!("/api/v1/audit?entity=household&id={hh_id}"), None)
            .await;
        let actions: Vec<(&str, &str)> = log["items"].as_array().unwrap().iter()
            .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
            .collect();
        assert_eq!(actions, [("deactivate", "xa"), ("update", "xa"), ("create", "xa")]);
        let update = &log["items"][1];
        assert_eq!(update["before"]["unit_code"], "2884602");
        assert_eq!(update["after"]["unit_code"], "2884601");
        let (_, log) = app
            .api(&admin, Method::GET, &format!("/api/v1/audit?entity=person&id={api_person}"), None)
            .await;
        let actions: Vec<&str> = log["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["deactivate", "create"]);
        assert_eq!(log["items"][0]["actor"], "ap");
        // Paging backwards.
        let (_, page1) = app.api(&admin, Method::GET, "/api/v1/audit?limit=2", None).await;
        let before = page1["next_before"].as_i64().unwrap();
        let (_, page2) = app.api(&admin, Method::GET, &format!("/api/v1/audit?limit=2&before={before}"), None).await;
        assert!(page2["items"][0]["id"].as_i64().unwrap() < before);
        // And the admin's page shows it.
        let admin_page = app.login("admin").await;
        let (status, page) = app.text(&admin_page.client, "/admin/audit").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Nhật ký thay đổi") && page.contains("deactivate"));
        assert!(page.contains("Mai Văn Sáu"));
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// Language, search, the page snapshot

#[tokio::test]
async fn vietnamese_first_english_on_request_and_remembered() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let xa = app.login("xa").await;
        let (_, page) = app.text(&xa.client, "/units/28846").await;
        assert!(page.contains("<html lang=\"vi\""));
        assert!(
            page.contains("Đăng xuất") && page.contains("Tiếng Việt") && page.contains("English")
        );
        assert!(page.contains("href=\"/units/28846?lang=en\""));
        assert!(page.contains("9.876"), "Vietnamese number grouping");
        let (_, page) = app.text(&xa.client, "/units/28846?lang=en").await;
        assert!(
            page.contains("<html lang=\"en\"")
                && page.contains("Sign out")
                && page.contains("9,876")
        );
        // Remembered by the cookie.
        let (_, page) = app.text(&xa.client, "/units/2884601").await;
        assert!(page.contains("Sign out") && page.contains("Households"));
        let (_, page) = app
            .text(&xa.client, &format!("/people/{}", app.seed.people["A"].id))
            .await;
        assert!(page.contains("1980-05-01") && page.contains("Possible duplicates"));
        let (_, page) = app.text(&xa.client, "/units/2884601?lang=vi").await;
        assert!(page.contains("Đăng xuất"));
        let (_, page) = app
            .text(&xa.client, &format!("/people/{}", app.seed.people["A"].id))
            .await;
        assert!(page.contains("01/05/1980") && page.contains("Có thể trùng với"));
        assert!(
            page.contains("Họ và tên, Ngày sinh"),
            "the fields that agree"
        );
        // The login page too, before any session.
        let (_, page) = app.text(&browser(), "/login?lang=en").await;
        assert!(page.contains("Sign in") && page.contains("Username"));
        let (_, page) = app.text(&browser(), "/login").await;
        assert!(page.contains("Tên đăng nhập"));
    })
    .await;
}

#[tokio::test]
async fn search_ignores_diacritics_and_case() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let xa = app.login("xa").await;
        let (status, page) = app.text(&xa.client, "/search?q=phuoc+thanh").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("href=\"/units/28846\""),
            "phuoc thanh finds Phước Thạnh"
        );
        let (_, page) = app.text(&xa.client, "/search?q=NGUYEN%20VAN%20AN").await;
        assert!(page.contains(&format!("href=\"/people/{}\"", app.seed.people["A"].id)));
        assert!(page.contains(&format!("href=\"/people/{}\"", app.seed.people["A-ap2"].id)));
        assert!(!page.contains(&format!(
            "href=\"/people/{}\"",
            app.seed.people["A-tanthach"].id
        )));
        let token = app.token("admin").await;
        let (_, found) = app
            .api(&token, Method::GET, "/api/v1/search?q=tan+thach", None)
            .await;
        assert_eq!(found["units"][0]["code"], "28804");
        let (_, found) = app
            .api(&token, Method::GET, "/api/v1/search?q=Nguyễn Văn An", None)
            .await;
        assert_eq!(found["people"].as_array().unwrap().len(), 3);
        let (_, found) = app
            .api(&token, Method::GET, "/api/v1/search?q=", None)
            .await;
        assert_eq!(found, json!({"units": [], "households": [], "people": []}));
        // Households by head's name or code.
        let (_, found) = app
            .api(&token, Method::GET, "/api/v1/search?q=2880401-0001", None)
            .await;
        assert_eq!(found["households"][0]["head_name"], "Lê Thị Cúc");
    })
    .await;
}

/// Replaces what changes from run to run (tokens, the stylesheet's version).
pub(crate) fn redact(page: &str, csrf: &str) -> String {
    let mut out = page.replace(csrf, "[csrf]");
    if let Some(start) = out.find("/assets/app.css?v=") {
        let from = start + "/assets/app.css?v=".len();
        let end = from + out[from..].find('"').unwrap();
        out.replace_range(from..end, "[version]");
    }
    out.replace('>', ">\n")
}

#[tokio::test]
async fn commune_unit_page_snapshot() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let xa = app.login("xa").await;
        let (status, page) = app.text(&xa.client, "/units/28846").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.len() < 100_000,
            "pages stay small: {} bytes",
            page.len()
        );
        insta::assert_snapshot!("commune_unit_page", redact(&page, &xa.csrf));
        // And a hamlet page for the same officer: its households and the add button.
        let (_, page) = app.text(&xa.client, "/units/2884601").await;
        assert!(page.contains("href=\"/households/new?unit=2884601\""));
        assert!(page.contains(&format!(
            "href=\"/households/{}\"",
            app.seed.households["A"].id
        )));
    })
    .await;
}

#[tokio::test]
async fn paging_and_household_search_on_pages() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let actor = Actor::system("seed");
        for i in 0..60 {
            app.store
                .create_household(
                    &actor,
                    &household(&format!("2884601-1{i:03}"), "2884601", "Đặng Thị Hồng"),
                )
                .await
                .unwrap();
        }
        let ap = app.login("ap").await;
        let (_, page) = app.text(&ap.client, "/units/2884601/households").await;
        assert!(page.contains("rel=\"next\""));
        let (_, page2) = app
            .text(&ap.client, "/units/2884601/households?page=2")
            .await;
        assert!(page2.contains("rel=\"prev\"") && !page2.contains("rel=\"next\""));
        let (_, found) = app
            .text(&ap.client, "/units/2884601/households?q=nguyen+van")
            .await;
        assert!(found.contains("2884601-0001") && !found.contains("2884601-1000"));
        let (_, unit) = app.text(&ap.client, "/units/2884601").await;
        assert!(unit.contains("<b>61</b>"), "61 households in Ấp 1");
        assert!(unit.contains("href=\"/units/2884601/households\""));
    })
    .await;
}
