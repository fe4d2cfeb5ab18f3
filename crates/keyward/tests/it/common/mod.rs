//! Drives the real `keyward` binary against a throw-away database.
#![allow(dead_code, clippy::unwrap_used)]

pub mod receiver;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use keyward_store::Backend;
use keyward_store::testing::TestDatabase;
use serde_json::Value;

/// Declares one test per backend: `cli_test!(name, |kw: Keyward| async move { … });`
#[macro_export]
macro_rules! cli_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let kw = $crate::common::Keyward::new(keyward_store::Backend::Sqlite).await;
                ($body)(kw).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let kw = $crate::common::Keyward::new(keyward_store::Backend::Postgres).await;
                ($body)(kw).await;
            }
        }
    };
}

/// One installation: a fresh database and a working directory for key files.
pub struct Keyward {
    pub db: TestDatabase,
    pub work: tempfile::TempDir,
}

/// What a command did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?} / {}", self.stdout, self.stderr))
    }

    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_keyward"))
}

impl Keyward {
    pub async fn new(backend: Backend) -> Keyward {
        Keyward { db: TestDatabase::new(backend).await, work: tempfile::tempdir().unwrap() }
    }

    /// An installation on a database the caller owns (a cluster the test stops and starts).
    pub fn on(url: keyward_store::DatabaseUrl) -> Keyward {
        Keyward { db: TestDatabase::at(url), work: tempfile::tempdir().unwrap() }
    }

    pub fn backend(&self) -> Backend {
        self.db.url.backend()
    }

    /// A `keyward` command on this installation, run in the work directory with a clean environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(binary());
        cmd.current_dir(self.work.path())
            .env_remove("KEYWARD_DATABASE_URL")
            .env_remove("KEYWARD_DATA_DIR")
            .arg("--database-url")
            .arg(self.db.url_string())
            .args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None)
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut cmd = self.command(args);
        cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        if let Some(input) = stdin {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        }
        let Output { status, stdout, stderr } = child.wait_with_output().unwrap();
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// Runs a command that must succeed; returns its output.
    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(run.code, 0, "`keyward {}` failed: {}", args.join(" "), run.stderr);
        run
    }

    /// Runs a command that must be refused with exit code 1 and a one-sentence error.
    pub fn refused(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(run.code, 1, "`keyward {}` should be refused (exit 1): {run:?}", args.join(" "));
        assert!(run.stderr.starts_with("error: "), "error on stderr: {:?}", run.stderr);
        assert!(run.stdout.is_empty(), "nothing on stdout: {:?}", run.stdout);
        run
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.work.path().join(rel)
    }

    /// `admin init` + access request/approve: a team ready for keys. Returns the init JSON.
    pub fn approved_team(&self, name: &str, email: &str) -> Value {
        let init = self.ok(&["admin", "init", "--team", name, "--email", email, "--json"]).json();
        self.ok(&["admin", "access", "request", "--team", name]);
        self.ok(&["admin", "access", "approve", "--team", name]);
        init
    }

    /// `admin key create` of a team key of `team`, downloaded into `keys/`: its Key ID and file.
    pub fn team_key(&self, team: &str, name: &str, roles: &str) -> (String, String) {
        let out = self.path("keys").display().to_string();
        let created = self
            .ok(&["admin", "key", "create", "--team", team, "--name", name, "--roles", roles, "--out", &out, "--json"]);
        let json = created.json();
        (json["key_id"].as_str().unwrap().to_owned(), json["file"].as_str().unwrap().to_owned())
    }

    /// `admin key create --individual` for the member `email` of `team`, downloaded into `keys/`:
    /// its Key ID and file.
    pub fn individual_key(&self, team: &str, email: &str) -> (String, String) {
        let out = self.path("keys").display().to_string();
        let created = self.ok(&[
            "admin",
            "key",
            "create",
            "--team",
            team,
            "--individual",
            "--member",
            email,
            "--out",
            &out,
            "--json",
        ]);
        let json = created.json();
        (json["key_id"].as_str().unwrap().to_owned(), json["file"].as_str().unwrap().to_owned())
    }

    /// Everything an operator can observe about a team, to prove a refusal changed nothing.
    pub fn snapshot(&self, team: &str) -> String {
        let keys = self.ok(&["admin", "key", "list", "--team", team, "--json"]).stdout;
        let audit = self.ok(&["admin", "audit", "--team", team, "--json"]).stdout;
        let teams = self.ok(&["admin", "team", "list", "--json"]).stdout;
        format!("{keys}\n{audit}\n{teams}")
    }
}

/// The PKCS#8 DER inside a `.p8` file.
pub fn p8_der(path: &Path) -> Vec<u8> {
    use base64::Engine;
    let text = std::fs::read_to_string(path).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body).unwrap()
}

/// The 32-byte private scalar inside a P-256 PKCS#8 (the OCTET STRING after ECPrivateKey's version).
pub fn private_scalar(der: &[u8]) -> Vec<u8> {
    let marker = [0x02, 0x01, 0x01, 0x04, 0x20];
    let at = der.windows(marker.len()).position(|w| w == marker).expect("ECPrivateKey inside PKCS#8");
    der[at + marker.len()..at + marker.len() + 32].to_vec()
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A running `keyward serve` on a free port; stopped (SIGTERM, then SIGKILL) on drop.
pub struct Serving {
    pub base: String,
    child: std::process::Child,
}

impl Keyward {
    pub fn serve(&self, extra_env: &[(&str, &str)]) -> Serving {
        self.serve_with(&[], extra_env)
    }

    /// `keyward serve` with more arguments (`--test-mode`, `--seed FILE`, …).
    pub fn serve_with(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Serving {
        self.serve_at("127.0.0.1:0", args, extra_env)
    }

    /// `keyward serve` on a given address (to restart a node on the same port).
    pub fn serve_at(&self, listen: &str, args: &[&str], extra_env: &[(&str, &str)]) -> Serving {
        use std::io::BufRead;
        let mut all = vec!["serve", "--listen", listen];
        all.extend_from_slice(args);
        let mut cmd = self.command(&all);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let base = loop {
            let line = lines.next().expect("serve printed its address").unwrap();
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        Serving { base, child }
    }
}

impl Serving {
    /// The process, to read its memory from `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then waits for the process to finish its requests and exit.
    pub fn stop(self) {
        drop(self);
    }

    /// SIGTERM, then whether the process exits by itself within `within` (`stop` sends SIGKILL
    /// after two seconds; this never does).
    pub async fn exits_on_sigterm_within(&mut self, within: std::time::Duration) -> bool {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let started = std::time::Instant::now();
        while started.elapsed() < within {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// SIGKILL: the process dies mid-whatever, with nothing written behind.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}

/// SIGTERM, up to two seconds to exit, then SIGKILL.
fn terminate(child: &mut std::process::Child) {
    // Already reaped: its pid may be another process's by now.
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    for _ in 0..100 {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs an independent signer (`python tests/python/…` or `node tests/node/…`); returns its token.
pub fn external_token(program: &str, script: &str, args: &[&str]) -> String {
    let script = format!("{}/../../{script}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(program).arg(&script).args(args).output().unwrap();
    assert!(out.status.success(), "{program} {script}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The Python with the independent clients: `KEYWARD_TEST_PYTHON`, else the virtualenv
/// `scripts/test` makes, else `python3`.
pub fn python() -> String {
    std::env::var("KEYWARD_TEST_PYTHON").unwrap_or_else(|_| {
        let venv = format!("{}/../../target/test-venv/bin/python", env!("CARGO_MANIFEST_DIR"));
        if Path::new(&venv).exists() { venv } else { "python3".into() }
    })
}

pub fn node() -> String {
    std::env::var("KEYWARD_TEST_NODE").unwrap_or_else(|_| "node".into())
}

/// A real nginx (Debian's, `KEYWARD_TEST_NGINX`) on a free loopback port, with the `http` block's
/// content `server` writes for that port (temp paths and logs are set here); killed on drop.
pub struct Nginx {
    pub base: String,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Nginx {
    pub fn start(server: impl FnOnce(u16) -> String) -> Nginx {
        let nginx = std::env::var("KEYWARD_TEST_NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".into());
        assert!(Path::new(&nginx).exists(), "no nginx at {nginx}: scripts/test installs Debian's nginx-light");
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let d = dir.path().display();
        let conf = format!(
            "worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\nevents {{ worker_connections 512; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n{}\n}}\n",
            server(port)
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let conf = dir.path().join("nginx.conf").display().to_string();
        let mut child =
            Command::new(&nginx).args(["-p", &d.to_string(), "-c", &conf, "-g", "daemon off;"]).spawn().unwrap();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Nginx { base: format!("http://127.0.0.1:{port}"), child, _dir: dir };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("nginx did not start: {}", std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default());
    }
}

impl Drop for Nginx {
    /// SIGTERM, so the master stops its workers: a SIGKILLed master leaves them running.
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}

/// The interpreter of codemagic-cli-tools' own virtualenv (`scripts/lib/python.sh`).
pub fn codemagic_python() -> String {
    std::env::var("KEYWARD_TEST_CODEMAGIC_PYTHON")
        .unwrap_or_else(|_| format!("{}/../../target/codemagic-venv/bin/python", env!("CARGO_MANIFEST_DIR")))
}

/// `method url` with a bearer token and an optional JSON body: the status and the JSON answer.
pub async fn send(method: reqwest::Method, url: String, token: &str, body: Option<Value>) -> (u16, Value) {
    let mut r = reqwest::Client::new().request(method, url).bearer_auth(token);
    if let Some(body) = body {
        r = r.json(&body);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or_default())
}

/// Waits (up to 5 s) until `base` accepts `token`: a key made by the CLI reaches a running node
/// through the change feed, a moment after the CLI returns.
pub async fn until_accepted(base: &str, token: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while send(reqwest::Method::GET, format!("{base}/v1/apps"), token, None).await.0 == 401 {
        assert!(std::time::Instant::now() < deadline, "{base} never accepted the new key");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// `GET url` until the resource's `attribute` is `wanted` (what a background loop of `serve`
/// makes), for up to 10 s: the resource then.
pub async fn until_attribute(url: &str, token: &str, attribute: &str, wanted: &str) -> Value {
    let mut seen = Value::Null;
    for _ in 0..100 {
        seen = send(reqwest::Method::GET, url.to_owned(), token, None).await.1;
        if seen["data"]["attributes"][attribute] == wanted {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{url}: {attribute} still not {wanted} after 10 s: {seen}");
}

/// Apple's REST upload of a 4-byte build `number` of version `version` of the example app,
/// through `base`: the upload made, its file's bytes put and marked uploaded. The upload's ID.
pub async fn upload_four_bytes(base: &str, token: &str, version: &str, number: &str) -> String {
    let body = serde_json::json!({"data": {"type": "buildUploads",
        "attributes": {"cfBundleShortVersionString": version, "cfBundleVersion": number, "platform": "IOS"},
        "relationships": {"app": {"data": {"type": "apps", "id": "1500000001"}}}}});
    let (_, upload) = send(reqwest::Method::POST, format!("{base}/v1/buildUploads"), token, Some(body)).await;
    let body = serde_json::json!({"data": {"type": "buildUploadFiles",
        "attributes": {"fileName": "Fizz.ipa", "fileSize": 4, "uti": "com.apple.ipa", "assetType": "ASSET"},
        "relationships": {"buildUpload": {"data": {"type": "buildUploads", "id": upload["data"]["id"]}}}}});
    let (_, file) = send(reqwest::Method::POST, format!("{base}/v1/buildUploadFiles"), token, Some(body)).await;
    let url = file["data"]["attributes"]["uploadOperations"][0]["url"].as_str().unwrap().to_owned();
    assert_eq!(reqwest::Client::new().put(url).body("abcd").send().await.unwrap().status().as_u16(), 200);
    let id = file["data"]["id"].as_str().unwrap();
    let sha = "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589"; // SHA-256 of "abcd"
    let body = serde_json::json!({"data": {"type": "buildUploadFiles", "id": id, "attributes": {"uploaded": true,
        "sourceFileChecksums": {"file": {"hash": sha, "algorithm": "SHA_256"}}}}});
    let (status, done) =
        send(reqwest::Method::PATCH, format!("{base}/v1/buildUploadFiles/{id}"), token, Some(body)).await;
    assert_eq!(status, 200, "{done}");
    upload["data"]["id"].as_str().unwrap().to_owned()
}

/// The newest PostgreSQL program `name` under /usr/lib/postgresql (scripts/test installs them).
pub fn pg_program(name: &str) -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path().join("bin").join(name)).filter(|p| p.exists()).collect())
        .unwrap_or_default();
    found.sort();
    found.pop().unwrap_or_else(|| panic!("no {name} under /usr/lib/postgresql: install Debian's postgresql package"))
}
