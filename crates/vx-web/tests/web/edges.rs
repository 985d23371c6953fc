//! The edges of the web layer under hostile or unlucky input (issue 15): search text, the
//! sign-in back-off behind a proxy, writes from other sites, and sign-outs and revocations
//! that every server sees at once.

use reqwest::{Client, Method, StatusCode};
use serde_json::Value;
use vx_store::Actor;
use vx_web::WebConfig;

use super::{browser, csrf_of, each_backend, spawn_app, spawn_app_with, App, PASSWORD};

/// Signs in through the form, optionally as seen through a proxy (`X-Forwarded-For`).
async fn sign_in(
    app: &App,
    client: &Client,
    username: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let (status, page) = app.text(client, "/login").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&page);
    let mut req = client.post(app.url("/login")).form(&[
        ("username", username),
        ("password", password),
        ("csrf", &csrf),
        ("next", ""),
    ]);
    if let Some(f) = forwarded_for {
        req = req.header("x-forwarded-for", f);
    }
    req.send().await.unwrap()
}

/// Moves every recorded failed sign-in `secs` seconds into the past (the store's clock is
/// the only one the back-off reads).
async fn age_failures(app: &App, secs: i64) {
    let at = (chrono::Utc::now() - chrono::Duration::seconds(secs)).to_rfc3339();
    app.store
        .debug_execute(&format!("UPDATE login_failures SET at = '{at}'"))
        .await
        .unwrap();
}

#[tokio::test]
async fn search_text_is_capped_and_its_wildcards_are_plain_characters() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let token = app.token("xa").await;
        // 201 characters, and 50,001 (SQLite refuses a LIKE pattern past 50,000 bytes: this
        // answered 500).
        let long = "á".repeat(201);
        let huge = "n".repeat(50_001);
        for q in [&long, &huge] {
            for path in [
                "/api/v1/search",
                "/api/v1/people",
                "/api/v1/households",
                "/api/v1/units/28846/people",
                "/api/v1/units/28846/households",
            ] {
                let (status, body) = app
                    .api(&token, Method::GET, &format!("{path}?q={q}"), None)
                    .await;
                assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
                let error = body["error"].as_str().unwrap();
                assert!(error.contains("at most 200 characters"), "{error}");
            }
        }
        let xa = app.login("xa").await;
        for path in ["/search", "/units/28846/households"] {
            let (status, _) = app.text(&xa.client, &format!("{path}?q={huge}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        }
        let (_, page) = app.text(&xa.client, "/search?q=nguyen").await;
        assert!(page.contains(r#"maxlength="200""#), "the box says so first");
        // 200 characters are a search like any other.
        let (status, body) = app
            .api(
                &token,
                Method::GET,
                &format!("/api/v1/search?q={}", "b".repeat(200)),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");

        // `%` and `_` are characters to find, not "anything": they match no name.
        let count = |v: &Value, key: &str| v[key].as_array().unwrap().len();
        let (_, everyone) = app
            .api(&token, Method::GET, "/api/v1/people?limit=500", None)
            .await;
        assert!(count(&everyone, "items") > 1, "{everyone}");
        for q in ["%25", "_", "%25%25", "__", "%5C"] {
            let (status, found) = app
                .api(&token, Method::GET, &format!("/api/v1/people?q={q}"), None)
                .await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(count(&found, "items"), 0, "q={q}: {found}");
            let (_, found) = app
                .api(&token, Method::GET, &format!("/api/v1/search?q={q}"), None)
                .await;
            for key in ["units", "households", "people"] {
                assert_eq!(count(&found, key), 0, "q={q} {key}: {found}");
            }
        }
        // A real name still matches by part, diacritics ignored.
        let (_, found) = app
            .api(&token, Method::GET, "/api/v1/search?q=phuoc%20thanh", None)
            .await;
        assert!(count(&found, "units") >= 1, "{found}");
    })
    .await;
}

#[tokio::test]
async fn sign_in_slows_down_per_username_and_address_and_never_locks_anyone_out() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let client = browser();
        for _ in 0..5 {
            let r = sign_in(&app, &client, "ap", "sai", None).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
        // The sixth try, at once: wait a second, says the page and Retry-After; the password
        // is not even checked.
        let r = sign_in(&app, &client, "ap", PASSWORD, None).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()["retry-after"], "1");
        let page = r.text().await.unwrap();
        assert!(page.contains("vui lòng chờ 1 giây rồi thử lại"), "{page}");
        // Nobody else is slowed down, not even from the same address.
        let r = sign_in(&app, &browser(), "xa", PASSWORD, None).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        // Each further failure doubles the wait after it: 2 s, then 4 s.
        age_failures(&app, 2).await;
        let r = sign_in(&app, &client, "ap", "sai", None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let r = sign_in(&app, &client, "ap", PASSWORD, None).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()["retry-after"], "2");
        // Once the wait is over, the right password works and the count starts again.
        age_failures(&app, 3).await;
        let r = sign_in(&app, &client, "ap", PASSWORD, None).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = sign_in(&app, &browser(), "ap", "sai", None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

        // One address trying many usernames is slowed down after 30 failures, whoever it
        // names next; the wait is capped at 15 minutes, never a lock.
        for n in 0..40 {
            app.store
                .debug_execute(&format!(
                    "INSERT INTO login_failures (key, at) VALUES ('login:ip:127.0.0.1', '{}')",
                    (chrono::Utc::now() - chrono::Duration::milliseconds(n)).to_rfc3339()
                ))
                .await
                .unwrap();
        }
        let r = sign_in(&app, &browser(), "huyen", PASSWORD, None).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()["retry-after"], "900");
        let page = r.text().await.unwrap();
        assert!(page.contains("vui lòng chờ 15 phút"), "{page}");
    })
    .await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_count() {
    each_backend(|ts| async move {
        // The tests' proxy is 127.0.0.1: the address it forwards is the client's.
        let app = spawn_app_with(
            ts,
            WebConfig {
                trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
                ..Default::default()
            },
        )
        .await;
        let client = browser();
        for _ in 0..5 {
            let r = sign_in(&app, &client, "ap", "sai", Some("198.51.100.7")).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
        let r = sign_in(&app, &client, "ap", PASSWORD, Some("198.51.100.7")).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        // The same person from another client, and another person behind the same proxy,
        // sign in at once: one client's mistakes slow down only that client.
        let r = sign_in(&app, &browser(), "ap", PASSWORD, Some("198.51.100.8")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        // A client cannot pick its address: what it writes left of the proxy's entry is
        // not read.
        let r = sign_in(
            &app,
            &browser(),
            "ap",
            PASSWORD,
            Some("203.0.113.1, 198.51.100.7"),
        )
        .await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    })
    .await;

    // Without a trusted proxy the header is ignored: every try is 127.0.0.1's.
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        for n in 0..5 {
            let forwarded = format!("198.51.100.{n}");
            let r = sign_in(&app, &browser(), "ap", "sai", Some(&forwarded)).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
        let r = sign_in(&app, &browser(), "ap", PASSWORD, Some("198.51.100.99")).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    })
    .await;
}

#[tokio::test]
async fn writes_from_another_site_are_refused_even_with_the_token() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let xa = app.login("xa").await;
        let hh = &app.seed.households["A"];
        let deactivate = app.url(&format!("/households/{}/deactivate", hh.id));
        for (name, value) in [
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-site", "same-site"),
            ("origin", "http://evil.example"),
            ("origin", "null"),
        ] {
            let r = xa
                .client
                .post(&deactivate)
                .header(name, value)
                .form(&[("csrf", xa.csrf.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        }
        assert!(app.store.household(hh.id).await.unwrap().unwrap().active);
        // The API through the session cookie: refused the same way, in JSON.
        let r = xa
            .client
            .post(app.url(&format!("/api/v1/households/{}/deactivate", hh.id)))
            .header("x-csrf-token", &xa.csrf)
            .header("sec-fetch-site", "cross-site")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let body: Value = r.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains("Sec-Fetch-Site"),
            "{body}"
        );
        // The login form too: nobody can sign a browser in from elsewhere.
        let (_, page) = app.text(&browser(), "/login").await;
        let r = browser()
            .post(app.url("/login"))
            .header("sec-fetch-site", "cross-site")
            .form(&[
                ("username", "xa"),
                ("password", PASSWORD),
                ("csrf", &csrf_of(&page)),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // From the site's own page (what a browser sends), the write goes through.
        let host = app.base.trim_start_matches("http://").to_string();
        let r = xa
            .client
            .post(&deactivate)
            .header("sec-fetch-site", "same-origin")
            .header("origin", format!("http://{host}"))
            .form(&[("csrf", xa.csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(!app.store.household(hh.id).await.unwrap().unwrap().active);
    })
    .await;
}

/// A second server on the same database, as a second machine behind a load balancer.
async fn second_server(app: &App) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(vx_web::serve(
        listener,
        app.store.clone(),
        WebConfig::default(),
    ));
    format!("http://{addr}")
}

#[tokio::test]
async fn sign_outs_and_revocations_hold_on_every_server_at_once() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let other = second_server(&app).await;
        let on_other = |client: &Client, path: &str| client.get(format!("{other}{path}")).send();

        // A session used on both servers (cookies do not tell ports apart), signed out on
        // the first: the second refuses it on the very next request, although it holds the
        // credential in memory.
        let xa = app.login("xa").await;
        let r = on_other(&xa.client, "/search").await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let r = xa
            .client
            .post(app.url("/logout"))
            .form(&[("csrf", xa.csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = on_other(&xa.client, "/search").await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed out everywhere");
        assert!(r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login"));

        // Every session of a user ended at once (a lost phone).
        let ap = app.login("ap").await;
        let r = on_other(&ap.client, "/search").await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let (user, _) = app.store.user_by_username("ap").await.unwrap().unwrap();
        let ended = app
            .store
            .revoke_sessions(&Actor::system("test"), user.id)
            .await
            .unwrap();
        assert_eq!(ended, 1);
        for base in [app.base.as_str(), other.as_str()] {
            let r = ap
                .client
                .get(format!("{base}/search"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{base}");
        }

        // A revoked API token.
        let secret = app.token("xetnghiem").await;
        let get = |base: String| {
            Client::new()
                .get(format!("{base}/api/v1/units"))
                .bearer_auth(&secret)
                .send()
        };
        assert_eq!(get(other.clone()).await.unwrap().status(), StatusCode::OK);
        let tokens = app.store.api_tokens(None).await.unwrap();
        let lab = app
            .store
            .user_by_username("xetnghiem")
            .await
            .unwrap()
            .unwrap()
            .0;
        let mine = app.store.api_tokens(Some(lab.id)).await.unwrap();
        assert_eq!(mine.len(), 1, "{tokens:?}");
        assert_eq!(mine[0].revoked_at, None);
        app.store
            .revoke_api_token(&Actor::system("test"), mine[0].token.id)
            .await
            .unwrap();
        for base in [app.base.clone(), other.clone()] {
            let r = get(base.clone()).await.unwrap();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{base}");
        }
        let err = app
            .store
            .revoke_api_token(&Actor::system("test"), mine[0].token.id)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("was revoked"), "{err}");
        // Each of these is in the audit log.
        let actions: Vec<String> = app
            .store
            .audit_log(None, None, 50)
            .await
            .unwrap()
            .into_iter()
            .map(|e| format!("{} {}", e.action, e.entity))
            .collect();
        for expected in ["sign-out user", "revoke-sessions user", "revoke api_token"] {
            assert!(actions.iter().any(|a| a == expected), "{actions:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn every_api_error_is_json_even_an_extractors() {
    each_backend(|ts| async move {
        let app = spawn_app(ts).await;
        let token = app.token("xa").await;
        let big = "x".repeat(300 * 1024);
        /// A request (method, path, content type and body) and the status it gets.
        type Case = (
            Method,
            &'static str,
            Option<(&'static str, String)>,
            StatusCode,
        );
        let cases: Vec<Case> = vec![
            // An id that is no number: no such household.
            (
                Method::GET,
                "/api/v1/households/abc",
                None,
                StatusCode::NOT_FOUND,
            ),
            // A query that does not parse (a field twice).
            (
                Method::GET,
                "/api/v1/people?q=a&q=b",
                None,
                StatusCode::BAD_REQUEST,
            ),
            // Not JSON, and malformed JSON.
            (
                Method::POST,
                "/api/v1/people",
                Some(("text/plain", "hello".to_string())),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                Method::POST,
                "/api/v1/people",
                Some(("application/json", "{\"full_name\":".to_string())),
                StatusCode::BAD_REQUEST,
            ),
            // A body over the limit.
            (
                Method::POST,
                "/api/v1/people",
                Some(("application/json", format!("{{\"x\":\"{big}\"}}"))),
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
            // A method the route does not have.
            (
                Method::DELETE,
                "/api/v1/people",
                None,
                StatusCode::METHOD_NOT_ALLOWED,
            ),
        ];
        for (method, path, body, expected) in cases {
            let mut req = Client::new()
                .request(method.clone(), app.url(path))
                .bearer_auth(&token);
            if let Some((content_type, body)) = body {
                req = req.header("content-type", content_type).body(body);
            }
            let r = req.send().await.unwrap();
            let status = r.status();
            let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
            let text = r.text().await.unwrap();
            assert_eq!(status, expected, "{method} {path}: {text}");
            assert!(
                content_type.starts_with("application/json"),
                "{method} {path}: {content_type}"
            );
            let v: Value = serde_json::from_str(&text).unwrap();
            if !status.is_success() {
                assert!(
                    !v["error"].as_str().unwrap().is_empty(),
                    "{method} {path}: {v}"
                );
            }
        }
    })
    .await;
}
