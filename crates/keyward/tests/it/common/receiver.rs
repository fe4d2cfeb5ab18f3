//! A webhook receiver from `tests/python/` (F5's plain HMAC one, X5's Standard Webhooks one): it
//! verifies each POST with Python's own code and appends a JSON line per request to a record file.

use std::io::BufRead;

use serde_json::Value;

use super::{Keyward, python};

pub struct Receiver {
    child: std::process::Child,
    pub port: u16,
    record: std::path::PathBuf,
}

impl Receiver {
    /// Starts `tests/python/SCRIPT SECRET RECORD FAIL_FIRST PORT` (port 0: any free one).
    pub fn launch(kw: &Keyward, script: &str, secret: &str, fail_first: u32, port: u16) -> Receiver {
        let record = kw.path(&format!("{script}.jsonl"));
        let script = format!("{}/../../tests/python/{script}", env!("CARGO_MANIFEST_DIR"));
        let mut child = std::process::Command::new(python())
            .args([script.as_str(), secret, record.to_str().unwrap(), &fail_first.to_string(), &port.to_string()])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        Receiver { child, port: line.trim().parse().unwrap(), record }
    }

    /// What it has received, waiting up to 15 s for `until` to hold.
    pub async fn received(&self, until: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        self.received_within(15, until).await
    }

    pub async fn received_within(&self, seconds: u64, until: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        for _ in 0..seconds * 10 {
            let lines: Vec<Value> = std::fs::read_to_string(&self.record)
                .unwrap_or_default()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            if until(&lines) {
                return lines;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "the receiver did not get what was expected: {}",
            std::fs::read_to_string(&self.record).unwrap_or_default()
        );
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
