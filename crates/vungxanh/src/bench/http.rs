//! `vungxanh bench http`: the server as a second process on loopback, loaded by `wrk` with
//! 64 connections for a bounded time per page; `/healthz` in the same run is the baseline.
//! Also the server's time to serve after start and its peak memory (VmHWM).
//!
//! A page is warmed by one request before its load, unless it is marked cold: then the 64
//! connections ask for a page nobody has opened in this server (a fresh process per run),
//! so that the first paint under load — 64 requests for one uncomputed page — is measured.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use vx_domain::{Role, UnitCode, UnitLevel};
use vx_store::{Actor, NewUser, Store};

/// One page under load.
#[derive(Debug, Clone, PartialEq)]
pub struct Load {
    pub path: String,
    /// Loaded without a warm-up request: the first paint under load.
    pub cold: bool,
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub non_2xx: u64,
}

/// What one run of the server gave.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRun {
    /// From spawning the process to the first `/healthz` answer.
    pub ready_secs: f64,
    pub loads: Vec<Load>,
    /// Peak resident memory (VmHWM), MiB.
    pub peak_mib: f64,
}

/// A signed-in viewer of the unit `code` (a user of its level and a live session); returns
/// the cookie to send.
pub async fn viewer(store: &Store, code: &str) -> Result<String> {
    let unit = store
        .unit(code)
        .await?
        .with_context(|| format!("no unit {code}"))?;
    let role = match unit.level {
        UnitLevel::Province => Role::Province,
        UnitLevel::District => Role::District,
        UnitLevel::Commune => Role::Commune,
        UnitLevel::Hamlet => Role::Hamlet,
    };
    let username = format!("bench.viewer.{}", role.as_str());
    let (cookie, _) = signed_in(store, &username, "Benchmark viewer", role, code).await?;
    Ok(cookie)
}

/// A session of the benchmark's user `username` of `role` scoped to `code` (made, or given
/// that scope); returns the cookie to send and the session's CSRF token.
pub async fn signed_in(
    store: &Store,
    username: &str,
    display_name: &str,
    role: Role,
    code: &str,
) -> Result<(String, String)> {
    let actor = Actor::system("bench");
    let scope = [UnitCode::parse(code)?];
    let user = match store.user_by_username(username).await? {
        Some(_) => store.set_user_scope(&actor, username, &scope).await?,
        None => {
            store
                .create_user(
                    &actor,
                    &NewUser {
                        username: username.into(),
                        display_name: display_name.into(),
                        // Never used to sign in: the session is made here.
                        password_hash: "!".into(),
                        role,
                        scope: scope.to_vec(),
                    },
                )
                .await?
        }
    };
    let token = format!("bench-{}-{}", std::process::id(), user.id);
    let hash = hex::encode(Sha256::digest(token.as_bytes()));
    let csrf = format!("bench-csrf-{}-{}", std::process::id(), user.id);
    store
        .create_session(
            user.id,
            &hash,
            &csrf,
            chrono::Utc::now() + chrono::Duration::hours(2),
        )
        .await?;
    Ok((format!("vx_session={token}"), csrf))
}

/// `vungxanh serve` as a second process; killed when dropped.
pub struct Server {
    child: Child,
    /// host:port
    pub host: String,
    /// From spawning the process to the first `/healthz` answer.
    pub ready_secs: f64,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `vungxanh serve` on `database` (with `extra` arguments of `serve`) on a free
    /// port and waits for its `/healthz`.
    pub fn start(database: &str, extra: &[&str]) -> Result<Server> {
        let started = Instant::now();
        let mut child = Command::new(std::env::current_exe()?)
            .args(["--database", database, "serve", "--bind", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the server")?;
        let stdout = child.stdout.take().context("server stdout")?;
        let mut server = Server {
            child,
            host: String::new(),
            ready_secs: 0.0,
        };
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .context("reading the server's address")?;
        server.host = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .with_context(|| format!("no address in {line:?}"))?
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        loop {
            if get(&server.host, "/healthz", "").is_ok_and(|status| status == 200) {
                break;
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("the server did not answer /healthz within 60 s");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        server.ready_secs = started.elapsed().as_secs_f64();
        Ok(server)
    }

    /// Peak resident memory (VmHWM), MiB.
    pub fn peak_mib(&self) -> Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .context("reading the server's memory")?;
        let peak_kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .context("no VmHWM")?;
        Ok(peak_kib / 1024.0)
    }
}

/// A page to load: its path and whether it is loaded cold (no warm-up request).
#[derive(Debug, Clone)]
pub struct Page {
    pub path: String,
    pub cold: bool,
}

/// Starts `vungxanh serve` on `database`, waits for `/healthz`, loads each page for
/// `seconds` with 64 connections, then reads the server's peak memory.
pub fn run(database: &str, cookie: &str, pages: &[Page], seconds: u32) -> Result<HttpRun> {
    if Command::new("wrk").arg("--version").output().is_err() {
        bail!("wrk is not installed (apt-get install wrk)");
    }
    let server = Server::start(database, &[])?;
    let host = server.host.clone();
    let base = format!("http://{host}");
    let ready_secs = server.ready_secs;
    let mut loads = Vec::new();
    for Page { path, cold } in pages {
        // One request first: a page that does not answer 200 is not worth loading. A cold
        // page is checked after its load instead.
        if !cold {
            let t = Instant::now();
            let status = get(&host, path, cookie)?;
            if status != 200 {
                bail!("GET {path} answered {status}");
            }
            tracing::info!("GET {path}: {status} in {:?}", t.elapsed());
        }
        let out = Command::new("wrk")
            .args([
                "-t2",
                "-c64",
                &format!("-d{seconds}s"),
                "--latency",
                "--timeout",
                "10s",
                "-H",
                &format!("Cookie: {cookie}"),
                &format!("{base}{path}"),
            ])
            .output()
            .context("running wrk")?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut load = parse_wrk(path, &text).with_context(|| format!("wrk said: {text}"))?;
        load.cold = *cold;
        if *cold && get(&host, path, cookie)? != 200 {
            bail!("GET {path} (cold) did not answer 200");
        }
        loads.push(load);
    }
    let peak_mib = server.peak_mib()?;
    drop(server);
    Ok(HttpRun {
        ready_secs,
        loads,
        peak_mib,
    })
}

/// One GET over a plain socket; returns the status code.
fn get(host: &str, path: &str, cookie: &str) -> Result<u16> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(host)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let cookie = if cookie.is_empty() {
        String::new()
    } else {
        format!("Cookie: {cookie}\r\n")
    };
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{cookie}Connection: close\r\n\r\n")
            .as_bytes(),
    )?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head)?;
    let text = String::from_utf8_lossy(&head);
    text.get(9..12)
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("not an HTTP answer: {text:?}"))
}

fn millis(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, factor) = if let Some(v) = s.strip_suffix("us") {
        (v, 0.001)
    } else if let Some(v) = s.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = s.strip_suffix('s') {
        (v, 1000.0)
    } else {
        return None;
    };
    num.parse::<f64>().ok().map(|v| v * factor)
}

/// Reads wrk's `--latency` report.
pub fn parse_wrk(path: &str, text: &str) -> Result<Load> {
    let mut load = Load {
        path: path.to_string(),
        cold: false,
        requests_per_sec: 0.0,
        p50_ms: 0.0,
        p99_ms: 0.0,
        non_2xx: 0,
    };
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("Requests/sec:"), Some(v)) => load.requests_per_sec = v.parse()?,
            (Some("50%"), Some(v)) => load.p50_ms = millis(v).context("p50")?,
            (Some("99%"), Some(v)) => load.p99_ms = millis(v).context("p99")?,
            (Some("Non-2xx"), _) => {
                load.non_2xx = line.rsplit(':').next().unwrap_or("0").trim().parse()?;
            }
            _ => {}
        }
    }
    // "0 requests in 1.00s" (every request slower than the run) still reads as 0/s.
    if !text.contains("Requests/sec:") {
        bail!("no Requests/sec in wrk's output");
    }
    Ok(load)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_reports() {
        let text = "Running 5s test @ http://127.0.0.1:1/healthz\n  2 threads and 64 connections\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency     1.10ms  300.00us   9.00ms   80.00%\n  Latency Distribution\n     50%  812.00us\n     75%    1.20ms\n     90%    1.80ms\n     99%    4.25ms\n  100000 requests in 5.00s, 10.00MB read\n  Non-2xx or 3xx responses: 12\nRequests/sec:  20000.50\nTransfer/sec:      2.00MB\n";
        let load = parse_wrk("/healthz", text).unwrap();
        assert_eq!(load.requests_per_sec, 20000.5);
        assert!((load.p50_ms - 0.812).abs() < 1e-9);
        assert_eq!(load.p99_ms, 4.25);
        assert_eq!(load.non_2xx, 12);
        assert!(parse_wrk("/", "nothing").is_err());
    }
}
