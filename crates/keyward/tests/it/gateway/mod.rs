//! Spec section 10 through the real binary: `keyward serve --policy` in front of a real upstream
//! (the built-in proxy, G1, G2), forward auth as nginx, Traefik, Caddy and Envoy ask for it (G3),
//! with the real nginx as `auth_request` client, and Keyward's own paths beside them (G4).
#![allow(clippy::unwrap_used)]

mod authz;
mod fast_path;
mod nginx;
mod nodes;
mod private_ca;
mod proxy;
mod streaming;
mod upstream;
mod websocket;

use std::path::PathBuf;

use crate::common::{Keyward, Serving};

pub const AUDIENCE: &str = "acme-api-v1";

/// `/widgets`: everyone reads, ADMIN and APP_MANAGER write, individual keys too, WebSockets.
/// `/vault`: ADMIN only, team keys only, no WebSockets.
pub fn write_policy(kw: &Keyward, upstream: Option<&str>) -> PathBuf {
    let upstream = upstream.map(|u| format!("upstream = \"{u}\"\n")).unwrap_or_default();
    let text = format!(
        "audience = \"{AUDIENCE}\"\n{upstream}\n\
         [[routes]]\nprefix = \"/widgets\"\narea = \"widgets\"\n\n\
         [[routes]]\nprefix = \"/vault\"\narea = \"vault\"\n\n\
         [areas.widgets]\nread = [\"ADMIN\", \"APP_MANAGER\", \"DEVELOPER\"]\nwrite = [\"ADMIN\", \"APP_MANAGER\"]\nwebsockets = true\n\n\
         [areas.vault]\nread = [\"ADMIN\"]\nwrite = [\"ADMIN\"]\nindividual_keys = false\n"
    );
    let path = kw.path("policy.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A team with API access, an ADMIN and a DEVELOPER team key, and an ADMIN member's individual key.
pub struct Acme {
    pub issuer: String,
    pub admin_key: String,
    admin_file: String,
    developer_file: String,
    individual_file: String,
}

impl Acme {
    pub fn new(kw: &Keyward) -> Acme {
        let init = kw.approved_team("Acme", "ana@acme.test");
        let issuer = init["issuer_id"].as_str().unwrap().to_owned();
        let (admin_key, admin_file) = kw.team_key("Acme", "Admin", "ADMIN");
        let (_, developer_file) = kw.team_key("Acme", "Dev", "DEVELOPER");
        kw.ok(&["admin", "member", "add", "--team", "Acme", "--email", "boss@acme.test", "--roles", "ADMIN"]);
        let (_, individual_file) = kw.individual_key("Acme", "boss@acme.test");
        Acme { issuer, admin_key, admin_file, developer_file, individual_file }
    }

    fn team_token(&self, kw: &Keyward, file: &str, audience: &str) -> String {
        kw.ok(&["token", "--key-file", file, "--issuer-id", &self.issuer, "--audience", audience])
            .stdout
            .trim()
            .to_owned()
    }

    /// The ADMIN team key's token for `audience`.
    pub fn admin(&self, kw: &Keyward, audience: &str) -> String {
        self.team_token(kw, &self.admin_file, audience)
    }

    /// The DEVELOPER team key's token for the policy's audience.
    pub fn developer(&self, kw: &Keyward) -> String {
        self.team_token(kw, &self.developer_file, AUDIENCE)
    }

    /// The ADMIN member's individual key's token for the policy's audience.
    pub fn individual(&self, kw: &Keyward) -> String {
        kw.ok(&["token", "--key-file", &self.individual_file, "--individual", "--audience", AUDIENCE])
            .stdout
            .trim()
            .to_owned()
    }
}

/// `keyward serve --policy FILE` with more arguments and environment.
pub fn serve(kw: &Keyward, policy: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Serving {
    let mut all = vec!["--policy", policy.to_str().unwrap()];
    all.extend_from_slice(args);
    kw.serve_with(&all, env)
}

/// A response header as text.
pub fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response.headers().get(name).map(|v| v.to_str().unwrap().to_owned())
}

/// The single Apple error of a refusal: status, code.
pub async fn apple_error(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    assert_eq!(response.headers()["content-type"], "application/json", "Apple's errors are JSON");
    let body: serde_json::Value = response.json().await.unwrap();
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["status"], status.to_string());
    assert!(errors[0]["id"].is_string() && errors[0]["title"].is_string(), "{body}");
    (status, errors[0]["code"].as_str().unwrap().to_owned())
}

/// The status of a request sent byte for byte as given: HTTP clients normalise paths such as
/// `/a/%2e%2e/b` before sending them, which is what an attacker's client would not do.
pub async fn raw_status(base: &str, method: &str, path: &str, token: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status in {text}"))
}
