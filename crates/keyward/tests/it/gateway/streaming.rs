//! G2: bodies stream through the gateway. 200 MB up and 200 MB down pass while Keyward's resident
//! memory stays flat, which it could not if either body were held whole.

use std::process::Command;
use std::time::Duration;

use keyward_store::Backend;

use super::upstream::Upstream;
use super::{AUDIENCE, Acme, serve, write_policy};
use crate::common::Keyward;

const BYTES: u64 = 200 * 1024 * 1024;

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Runs curl with `args` while sampling the process's memory; returns curl's stdout and the peak.
fn curl_watching(pid: u32, args: &[&str]) -> (String, u64) {
    let mut child = Command::new("curl").args(args).stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        peak = peak.max(rss_kib(pid));
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "curl {args:?} failed");
    (String::from_utf8(out.stdout).unwrap(), peak)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_200_mb_up_and_down_stream_with_flat_memory() {
    let kw = Keyward::new(Backend::Sqlite).await;
    let acme = Acme::new(&kw);
    let upstream = Upstream::start().await;
    let node = serve(&kw, &write_policy(&kw, Some(&upstream.url())), &[], &[]);
    let token = acme.admin(&kw, AUDIENCE);
    let auth = format!("Authorization: Bearer {token}");
    let warm = format!("{}/widgets/download?bytes=1048576", node.base);
    curl_watching(node.pid(), &["-sS", "-o", "/dev/null", "-H", &auth, &warm]);
    let before = rss_kib(node.pid());

    let file = kw.path("upload.bin");
    std::fs::File::create(&file).unwrap().set_len(BYTES).unwrap();
    let data = format!("@{}", file.display());
    let upload = format!("{}/widgets/upload", node.base);
    let (answer, peak_up) = tokio::task::spawn_blocking({
        let (pid, auth) = (node.pid(), auth.clone());
        move || curl_watching(pid, &["-sS", "-H", &auth, "-H", "Expect:", "--data-binary", &data, &upload])
    })
    .await
    .unwrap();
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["received"], BYTES, "every byte reached the upstream");

    let download = format!("{}/widgets/download?bytes={BYTES}", node.base);
    let (written, peak_down) = tokio::task::spawn_blocking({
        let (pid, auth) = (node.pid(), auth.clone());
        move || curl_watching(pid, &["-sS", "-o", "/dev/null", "-w", "%{size_download}", "-H", &auth, &download])
    })
    .await
    .unwrap();
    assert_eq!(written.trim().parse::<u64>().unwrap(), BYTES, "every byte reached the client");

    // Held whole, either body would add 200 MiB; streamed, the process grows by its buffers.
    let grown = peak_up.max(peak_down).saturating_sub(before);
    assert!(grown < 48 * 1024, "resident memory grew by {grown} KiB while 200 MB passed (from {before} KiB)");
}
