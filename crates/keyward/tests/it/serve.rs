//! `keyward serve`: creates the database on first start, prints the first-run command, answers
//! health and readiness, and stops gracefully on SIGTERM.
#![allow(clippy::unwrap_used)]
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `keyward serve` on a free port; returns the child, its base URL and what it printed.
type Lines = std::io::Lines<BufReader<std::process::ChildStdout>>;

fn start(cmd: Command) -> (Child, String, Vec<String>) {
    let (child, base, printed, _) = start_reading(cmd);
    (child, base, printed)
}

/// Like `start`, also handing back the rest of what the server prints.
fn start_reading(mut cmd: Command) -> (Child, String, Vec<String>, Lines) {
    let mut child =
        cmd.args(["serve", "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut printed = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        printed.push(line.clone());
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    (child, base, printed, lines)
}

fn stop(mut child: Child) {
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(exit) = child.try_wait().unwrap() {
            assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
            return;
        }
        assert!(Instant::now() < deadline, "serve did not stop within 10 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn serve_creates_the_sqlite_database_and_prints_the_first_run_command() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh-data");
    let mut cmd = Command::new(crate::common::binary());
    cmd.current_dir(dir.path()).env_remove("KEYWARD_DATABASE_URL").arg("--data-dir").arg(&data);
    let (child, base, printed) = start(cmd);
    assert!(data.join("keyward.db").exists(), "database created on first start");
    let printed = printed.join("\n");
    assert!(printed.contains("admin init --team"), "first-run command printed: {printed}");
    assert_eq!(get(&format!("{base}/healthz")).await.0, 200);
    assert_eq!(get(&format!("{base}/readyz")).await.0, 200);
    stop(child);
}

#[tokio::test]
async fn first_run_setup_url_creates_the_first_team_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(crate::common::binary());
    cmd.current_dir(dir.path()).env_remove("KEYWARD_DATABASE_URL").arg("--data-dir").arg(dir.path().join("data"));
    let (child, base, _, mut lines) = start_reading(cmd);
    // The setup URL is printed right after the address.
    let url = loop {
        let line = lines.next().expect("setup URL printed").unwrap();
        if let Some(u) = line.trim().strip_prefix(&format!("{base}/setup?token=")) {
            break format!("{base}/setup?token={u}");
        }
    };
    assert_eq!(get(&url).await.0, 200);
    assert_eq!(get(&format!("{base}/setup?token=guess")).await.0, 404, "only the printed token opens setup");
    let token = url.split("token=").nth(1).unwrap().to_owned();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = [
        ("token", token.as_str()),
        ("team", "Acme"),
        ("first_name", "Ana"),
        ("last_name", "L"),
        ("email", "ana@acme.test"),
        ("password", "a long password"),
    ];
    let r = client.post(format!("{base}/setup")).form(&form).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert!(r.headers()["set-cookie"].to_str().unwrap().contains("HttpOnly"), "signed in");
    assert!(r.headers()["location"].to_str().unwrap().ends_with("/integrations/api"));
    assert_eq!(
        client.post(format!("{base}/setup")).form(&form).send().await.unwrap().status().as_u16(),
        404,
        "the token works once"
    );
    stop(child);
}

cli_test!(serve_answers_health_and_readiness_and_stops_on_sigterm, |kw: crate::common::Keyward| async move {
    kw.ok(&["admin", "init", "--team", "Acme", "--email", "ana@acme.test"]);
    let (child, base, printed) = start(kw.command(&[]));
    assert!(!printed.join("\n").contains("admin init"), "no first-run hint once a team exists");
    let (status, body) = get(&format!("{base}/healthz")).await;
    assert_eq!((status, body.trim()), (200, "ok"));
    let (status, body) = get(&format!("{base}/readyz")).await;
    assert_eq!((status, body.trim()), (200, "ready"));
    stop(child);
});

/// Whoever launched the server may stop reading (`keyward serve | head -1`, a closed terminal):
/// the startup banner must not take the server down with a broken pipe.
#[tokio::test]
async fn serve_keeps_running_when_nobody_reads_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(crate::common::binary())
        .current_dir(dir.path())
        .env_remove("KEYWARD_DATABASE_URL")
        .args(["--data-dir", "data", "serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Ok(response) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await {
            break response.status().as_u16();
        }
        assert!(child.try_wait().unwrap().is_none(), "serve exited after its stdout was closed");
        assert!(Instant::now() < deadline, "serve did not answer within 20 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(child.try_wait().unwrap().is_none(), "serve still runs after printing its banner into a closed pipe");
    stop(child);
}

/// `keyward serve` with `args`, its log (stderr) going to a file, until it printed its address and
/// then a moment more; returns what it logged.
fn logged(kw: &crate::common::Keyward, args: &[&str]) -> String {
    let log = kw.path(&format!("serve-{}.log", args.len()));
    let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let mut child = kw
        .command(&all)
        .env("KEYWARD_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while let Some(Ok(line)) = lines.next() {
        if line.contains("listening on") {
            break;
        }
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    std::fs::read_to_string(&log).unwrap()
}

// A log written to a file carries no colour codes; --log-format json writes one object per line.
cli_test!(logs_in_files_are_plain_text_or_json_lines, |kw: crate::common::Keyward| async move {
    kw.ok(&["admin", "init", "--team", "Acme", "--email", "ana@acme.test"]);
    let text = logged(&kw, &[]);
    assert!(!text.is_empty(), "serve logged something");
    assert!(!text.contains('\u{1b}'), "no ANSI escapes in a file: {text:?}");
    let json = logged(&kw, &["--log-format", "json"]);
    let lines: Vec<&str> = json.lines().collect();
    assert!(!lines.is_empty());
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        for field in ["timestamp", "level", "target", "message"] {
            assert!(v.get(field).is_some(), "{field} missing in {line}");
        }
    }
    let refused = kw.run(&["serve", "--log-format", "xml"]);
    assert_eq!(refused.code, 2);
});

/// A client that never finishes its request cannot keep a node from stopping: a connection with
/// half a head is closed at SIGTERM, and the process exits (no SIGKILL needed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_does_not_hold_a_stopping_node() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let kw = crate::common::Keyward::new(keyward_store::Backend::Sqlite).await;
    let mut node = kw.serve(&[]);
    let host = node.base.trim_start_matches("http://").to_owned();
    let mut half = tokio::net::TcpStream::connect(&host).await.unwrap();
    half.write_all(b"GET /v1/apps HTTP/1.1\r\nHo").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Exited within 10 s, well before the 30 s drain limit, and without a SIGKILL.
    let exited = node.exits_on_sigterm_within(Duration::from_secs(10)).await;
    assert!(exited, "the node still runs 10 s after SIGTERM, held by half a request");
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), half.read_to_end(&mut rest)).await;
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"), "half a request is never answered");
    drop(node);
}
