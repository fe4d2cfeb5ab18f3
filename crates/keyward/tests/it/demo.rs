//! `keyward serve --demo`: a ready-made team on an empty data directory; the printed `keyward api`
//! line and the printed environment lines work as printed; a second start reuses the demo.
#![allow(clippy::unwrap_used)]
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Demo {
    child: Child,
    lines: Vec<String>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

/// Starts `serve --demo` and reads its banner, up to the `keyward api` line.
fn start(data: &std::path::Path) -> Demo {
    let mut child = Command::new(crate::common::binary())
        .env_remove("KEYWARD_DATABASE_URL")
        .arg("--data-dir")
        .arg(data)
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut after_try = false;
    for line in reader.by_ref() {
        let line = line.unwrap();
        let done = after_try && !line.trim().is_empty();
        after_try |= line.starts_with("Try it:");
        lines.push(line);
        if done {
            break;
        }
    }
    Demo { child, lines }
}

fn value(lines: &[String], prefix: &str) -> String {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in {lines:#?}"))
        .to_owned()
}

#[tokio::test]
async fn serve_demo_prints_lines_that_work_and_reuses_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = start(&data);
    let banner = demo.lines.join("\n");
    assert!(banner.contains("Console login: holder@demo.keyward.test / "), "{banner}");
    let key_id = value(&demo.lines, "export ASC_KEY_ID=");
    let key_path = value(&demo.lines, "export ASC_KEY_PATH=");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert!(std::path::Path::new(&value(&demo.lines, "fastlane API key JSON: ")).exists());

    // The printed `keyward api` line, exactly as printed.
    let api_line = demo.lines.last().unwrap().clone();
    let words: Vec<&str> = api_line.split_whitespace().collect();
    let out = Command::new(words[0]).args(&words[1..]).output().unwrap();
    assert!(out.status.success(), "{api_line}: {}", String::from_utf8_lossy(&out.stderr));
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut names: Vec<&str> =
        body["data"].as_array().unwrap().iter().map(|a| a["attributes"]["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["Demo Bell", "Demo Buzz", "Demo Fizz"]);
    // The demo app has builds in several states, a beta group, a version and reviews to read.
    let fizz = body["data"].as_array().unwrap().iter().find(|a| a["attributes"]["name"] == "Demo Fizz").unwrap();
    let fizz = fizz["id"].as_str().unwrap();
    for (path, count) in [("builds", 3), ("betaGroups", 1), ("appStoreVersions", 1), ("customerReviews", 3)] {
        let mut words: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
        let at = words.iter().position(|w| w == "/v1/apps").unwrap();
        words[at] = format!("/v1/apps/{fizz}/{path}");
        let out = Command::new(&words[0]).args(&words[1..]).output().unwrap();
        assert!(out.status.success(), "{path}: {}", String::from_utf8_lossy(&out.stderr));
        let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(listed["data"].as_array().unwrap().len(), count, "{path}: {listed}");
    }

    // The printed environment lines, used by a Python client.
    let mut python = Command::new(crate::common::python());
    python.arg(format!("{}/../../tests/python/env_client.py", env!("CARGO_MANIFEST_DIR")));
    for line in demo.lines.iter().filter_map(|l| l.strip_prefix("export ")) {
        let (k, v) = line.split_once('=').unwrap();
        python.env(k, v);
    }
    let out = python.output().unwrap();
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
    drop(demo);

    // A second start finds the demo and prints the same key.
    let again = start(&data);
    assert_eq!(value(&again.lines, "export ASC_KEY_ID="), key_id);
    assert!(again.lines.join("\n").contains("its password was printed when the demo was created"));
}

#[tokio::test]
async fn serve_demo_refuses_a_database_with_other_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let init = Command::new(crate::common::binary())
        .arg("--data-dir")
        .arg(&data)
        .args(["admin", "init", "--team", "Acme", "--email", "a@acme.test"])
        .output()
        .unwrap();
    assert!(init.status.success());
    let out = Command::new(crate::common::binary())
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--demo needs an empty database"));
}
