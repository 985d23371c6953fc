//! `vungxanh bench sync`: a phone's sync (issue 18, `docs/field.md`) against `vungxanh
//! serve` as a second process, with curl as the phone: the first pull of a commune or
//! hamlet (households, members, the day's work) on a server that has just started, a push
//! of queued records in one request, the same push again (answered from the receipts), a
//! pull of what changed since the cursor, and the first pull again warm. Each request's
//! time is curl's, from connecting to the last byte, gzip on the wire as a phone asks.

use std::io::Write;
use std::process::Command;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use serde_json::{json, Value};
use vx_domain::{Role, UnitLevel};
use vx_store::Store;

use super::http::{signed_in, Server};
use super::{Line, Table};

/// What one request gave.
struct Answer {
    body: Value,
    secs: f64,
    /// Bytes on the wire (gzipped).
    bytes: u64,
}

/// Phone `n` of the unit: a user of the unit's level scoped to it, and a live session;
/// the cookie and the CSRF token.
async fn phone(store: &Store, code: &str, n: usize) -> Result<(String, String)> {
    let unit = store
        .unit(code)
        .await?
        .with_context(|| format!("no unit {code}"))?;
    let role = match unit.level {
        UnitLevel::Commune => Role::Commune,
        UnitLevel::Hamlet => Role::Hamlet,
        other => bail!(
            "the field app works for a commune or a hamlet; {code} is a {}",
            other.as_str()
        ),
    };
    let username = format!("bench.field.{}.{n}", role.as_str());
    signed_in(store, &username, "Benchmark phone", role, code).await
}

/// How many of a sync's results have `field` equal to `value`.
fn results_with(answer: &Answer, field: &str, value: Value) -> usize {
    answer.body["results"]
        .as_array()
        .map_or(0, |r| r.iter().filter(|x| x[field] == value).count())
}

/// One sync through curl.
fn post(host: &str, cookie: &str, csrf: &str, body: &Value) -> Result<Answer> {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("in.json");
    let output = dir.path().join("out.json");
    std::fs::File::create(&input)?.write_all(body.to_string().as_bytes())?;
    let out = Command::new("curl")
        .args(["-sS", "--compressed", "-X", "POST"])
        .args(["-H", &format!("Cookie: {cookie}")])
        .args(["-H", &format!("X-CSRF-Token: {csrf}")])
        .args(["-H", "Content-Type: application/json"])
        .arg("--data-binary")
        .arg(format!("@{}", input.display()))
        .arg("-o")
        .arg(&output)
        .args(["-w", "%{http_code} %{time_total} %{size_download}"])
        .arg(format!("http://{host}/api/v1/sync"))
        .output()
        .context("running curl (apt-get install curl)")?;
    let said = String::from_utf8_lossy(&out.stdout);
    let mut it = said.split_whitespace();
    let status: u16 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let secs: f64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0.0);
    let bytes: u64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let text = std::fs::read_to_string(&output).unwrap_or_default();
    if status != 200 {
        bail!(
            "POST /api/v1/sync answered {status}: {}",
            text.chars().take(300).collect::<String>()
        );
    }
    Ok(Answer {
        body: serde_json::from_str(&text).context("the sync's answer is not JSON")?,
        secs,
        bytes,
    })
}

/// The rows a pull carried.
fn pulled(changes: &Value) -> u64 {
    changes
        .as_object()
        .map(|m| {
            m.values()
                .filter_map(Value::as_array)
                .map(|a| a.len() as u64)
                .sum()
        })
        .unwrap_or(0)
}

pub async fn run(
    backend: &str,
    store: &Store,
    database: &str,
    code: &str,
    records: usize,
    day: Option<NaiveDate>,
    table: &mut Table,
) -> Result<()> {
    let (cookie, csrf) = phone(store, code, 0).await?;
    // 64 more phones, one user each (a user may sync 30 times a minute).
    let mut phones = Vec::with_capacity(64);
    for n in 1..=64 {
        phones.push(phone(store, code, n).await?);
    }
    let unit = store.unit(code).await?.context("no unit")?;
    let households = store.field_households(std::slice::from_ref(&unit)).await?;
    if households.is_empty() {
        bail!("{code} holds no households");
    }
    let day = day.unwrap_or_else(|| vx_domain::vn_date(chrono::Utc::now()));
    let day_arg = day.to_string();
    let server = Server::start(database, &["--as-of", &day_arg])?;
    let host = server.host.clone();
    let step = |what: &str| format!("sync {code}: {what}");

    let first = post(
        &host,
        &cookie,
        &csrf,
        &json!({"cursor": null, "pull": "all"}),
    )?;
    let n = pulled(&first.body["changes"]);
    table.push(Line::new(
        backend,
        &step(&format!(
            "first pull, server just started ({} KB gzipped)",
            first.bytes / 1024
        )),
        n,
        first.secs,
    ));

    let run = std::process::id();
    let queue: Vec<Value> = (0..records)
        .map(|i| {
            let h = &households[i % households.len()];
            json!({"client_id": format!("bench-{run}-{i:08}"), "kind": "visit",
                   "made_at": format!("{day}T08:00:00+07:00"),
                   "data": {"household_id": h.id, "day": day, "outcome": "met", "note": "bench"}})
        })
        .collect();
    let push = post(
        &host,
        &cookie,
        &csrf,
        &json!({"cursor": first.body["cursor"], "pull": "none", "push": queue}),
    )?;
    let applied = results_with(&push, "status", json!("applied"));
    if applied != records {
        bail!(
            "{applied} of {records} records applied: {}",
            push.body["results"][0]
        );
    }
    table.push(Line::new(
        backend,
        &step(&format!("push {records} visits in one request")),
        records as u64,
        push.secs,
    ));

    let again = post(
        &host,
        &cookie,
        &csrf,
        &json!({"cursor": first.body["cursor"], "pull": "none", "push": queue}),
    )?;
    let repeated = results_with(&again, "repeated", json!(true));
    if repeated != records {
        bail!("{repeated} of {records} repeats answered from receipts");
    }
    table.push(Line::new(
        backend,
        &step("the same push again (receipts)"),
        records as u64,
        again.secs,
    ));

    let since = post(
        &host,
        &cookie,
        &csrf,
        &json!({"cursor": first.body["cursor"], "pull": "today"}),
    )?;
    let visits = since.body["changes"]["visits"]
        .as_array()
        .map_or(0, Vec::len);
    if visits < records {
        bail!("the pull since the cursor carried {visits} visits, not the {records} pushed");
    }
    table.push(Line::new(
        backend,
        &step("pull since the cursor"),
        pulled(&since.body["changes"]),
        since.secs,
    ));

    let warm = post(
        &host,
        &cookie,
        &csrf,
        &json!({"cursor": null, "pull": "all"}),
    )?;
    table.push(Line::new(
        backend,
        &step("first pull again, warm"),
        pulled(&warm.body["changes"]),
        warm.secs,
    ));
    // 64 phones at once (seven in the morning): each its day's work from no cursor.
    let started = std::time::Instant::now();
    let phones: Vec<_> = phones
        .into_iter()
        .map(|(cookie, csrf)| {
            let host = host.clone();
            std::thread::spawn(move || {
                post(
                    &host,
                    &cookie,
                    &csrf,
                    &json!({"cursor": null, "pull": "today"}),
                )
            })
        })
        .collect();
    let mut slowest: f64 = 0.0;
    for p in phones {
        let a = p
            .join()
            .map_err(|_| anyhow::anyhow!("a phone's thread panicked"))??;
        slowest = slowest.max(a.secs);
    }
    let wall = started.elapsed().as_secs_f64();
    table.push(Line::new(
        backend,
        &step(&format!(
            "64 phones pull the day's work at once (slowest {slowest:.2} s)"
        )),
        64,
        wall,
    ));
    let total = first.secs + push.secs + since.secs;
    table.push(Line::new(
        backend,
        &step(&format!(
            "first pull + push {records} + pull since (target < 10 s)"
        )),
        n + records as u64,
        total,
    ));
    println!("\nserver peak memory: {:.0} MiB", server.peak_mib()?);
    Ok(())
}
