//! I1 with mail configured: the invitation's link reaches only the invitee, through a real SMTP
//! server (aiosmtpd) started by the test; it works once. Delivery failures are shown to the
//! inviter, and the invitation stays valid to be sent again.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::redirect::Policy;

const PASSWORD: &str = "a long console password";

/// aiosmtpd on a free port, writing each message to `dir`.
struct Smtp {
    port: u16,
    dir: PathBuf,
    child: Child,
}

impl Smtp {
    fn start(dir: &Path) -> Smtp {
        let script = format!("{}/../../tests/python/smtp_capture.py", env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new(crate::common::python())
            .args([script.as_str(), dir.to_str().unwrap()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().strip_prefix("listening ").expect("aiosmtpd started").parse().unwrap();
        Smtp { port, dir: dir.to_owned(), child }
    }

    /// The `n`th message (1-based), waiting up to 10 s for it.
    fn message(&self, n: usize) -> String {
        let path = self.dir.join(format!("{n}.eml"));
        for _ in 0..200 {
            if let Ok(text) = std::fs::read_to_string(&path) {
                return text;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no message {n} arrived");
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Browser {
    client: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

impl Browser {
    fn new(base: &str) -> Browser {
        Browser {
            client: reqwest::Client::builder().redirect(Policy::none()).build().unwrap(),
            base: base.to_owned(),
            cookie: None,
        }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let mut r = self.client.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            r = r.header("cookie", c);
        }
        let resp = r.send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String, Option<String>) {
        let mut r = self.client.post(format!("{}{path}", self.base)).form(form);
        if let Some(c) = &self.cookie {
            r = r.header("cookie", c);
        }
        let resp = r.send().await.unwrap();
        let cookie =
            resp.headers().get("set-cookie").map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned());
        (resp.status().as_u16(), resp.text().await.unwrap(), cookie)
    }

    /// Post/Redirect/Get: posts, expects a 303, and fetches the page it names with the one-time
    /// flash cookie it set; returns that page.
    async fn post_and_follow(&self, path: &str, form: &[(&str, &str)]) -> String {
        let mut r = self.client.post(format!("{}{path}", self.base)).form(form);
        if let Some(c) = &self.cookie {
            r = r.header("cookie", c);
        }
        let resp = r.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 303, "a form answers with a redirect");
        let to = resp.headers()["location"].to_str().unwrap().to_owned();
        let flash = resp.headers().get("set-cookie").map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned());
        let cookies = [self.cookie.clone(), flash].into_iter().flatten().collect::<Vec<_>>().join("; ");
        let page = self.client.get(format!("{}{to}", self.base)).header("cookie", cookies).send().await.unwrap();
        page.text().await.unwrap()
    }

    async fn csrf(&self, path: &str) -> String {
        let (_, html) = self.get(path).await;
        html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
    }
}

/// The quoted-printable soft line breaks of a mail body undone.
fn unfold(mail: &str) -> String {
    mail.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
}

cli_test!(invitations_are_mailed_to_the_invitee_and_work_once, |kw: crate::common::Keyward| async move {
    let init = kw.run_with_stdin(
        &["admin", "init", "--team", "Acme", "--email", "ana@acme.test", "--password-stdin", "--json"],
        Some(PASSWORD),
    );
    assert_eq!(init.code, 0);
    let issuer = init.json()["issuer_id"].as_str().unwrap().to_owned();
    let mail_dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(mail_dir.path());
    let smtp_url = format!("smtp://127.0.0.1:{}?tls=none", smtp.port);
    let env = [
        ("KEYWARD_MAIL_SMTP_URL", smtp_url.as_str()),
        ("KEYWARD_MAIL_FROM", "Keyward <keyward@acme.test>"),
        ("KEYWARD_PUBLIC_URL", "http://keyward.test"),
    ];
    let refused = kw.command(&["serve", "--listen", "127.0.0.1:0"]).envs(env[..2].iter().copied()).output().unwrap();
    assert_eq!(refused.status.code(), Some(2), "mail without public_url is refused at start");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("public_url"));
    let server = kw.serve(&env);
    let mut ana = Browser::new(&server.base);
    let (status, _, cookie) = ana.post("/login", &[("email", "ana@acme.test"), ("password", PASSWORD)]).await;
    assert_eq!(status, 303);
    ana.cookie = cookie;
    let users = format!("/teams/{issuer}/users");
    let csrf = ana.csrf(&users).await;
    let invite = [
        ("csrf", csrf.as_str()),
        ("email", "nia@acme.test"),
        ("first_name", "Nia"),
        ("last_name", "New"),
        ("roles", "DEVELOPER"),
    ];
    let page = ana.post_and_follow(&format!("{users}/invite"), &invite).await;
    assert!(page.contains("The invitation was sent by email"), "{page}");

    let mail = unfold(&smtp.message(1));
    assert!(mail.contains("X-Envelope-To: nia@acme.test"), "{mail}");
    assert!(mail.contains("Subject: You're invited to join Acme"), "{mail}");
    let at = mail.find("http://keyward.test/invitations/").expect("the link, on the public URL");
    let link = mail[at + "http://keyward.test".len()..].split_whitespace().next().unwrap().to_owned();
    let secret = link.trim_start_matches("/invitations/");
    assert!(secret.len() >= 22, "at least 128 bits: {secret}");
    assert!(!page.contains(secret), "with mail configured the inviter never sees the link");
    assert!(!ana.get(&users).await.1.contains(secret));
    let nia = Browser::new(&server.base);
    let (status, page) = nia.get(&link).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Join Acme"));
    let accept = [("first_name", "Nia"), ("last_name", "New"), ("password", PASSWORD)];
    let (status, _, cookie) = nia.post(&link, &accept).await;
    assert_eq!(status, 303);
    assert!(cookie.is_some(), "the new member is signed in");
    assert_eq!(nia.get(&link).await.0, 404, "a second use is refused");
    let (status, _, _) = nia.post(&link, &accept).await;
    assert_eq!(status, 404);
    let members = kw.ok(&["admin", "audit", "--team", "Acme", "--json"]).stdout;
    assert!(members.contains("invitation_accepted"));

    // The mail server goes away: the inviter is told, the invitation stays and can be sent again.
    drop(smtp);
    let csrf = ana.csrf(&users).await;
    let invite = [
        ("csrf", csrf.as_str()),
        ("email", "omar@acme.test"),
        ("first_name", "Omar"),
        ("last_name", "O"),
        ("roles", "SALES"),
    ];
    let page = ana.post_and_follow(&format!("{users}/invite"), &invite).await;
    assert!(page.contains("the email could not be sent") && page.contains("Send Again"), "{page}");
    assert!(page.contains("omar@acme.test"), "listed as pending");
    let smtp = Smtp::start(mail_dir.path().join("again").as_path());
    drop(server);
    let smtp_url = format!("smtp://127.0.0.1:{}?tls=none", smtp.port);
    let server = kw.serve(&[
        ("KEYWARD_MAIL_SMTP_URL", &smtp_url),
        ("KEYWARD_MAIL_FROM", "keyward@acme.test"),
        ("KEYWARD_PUBLIC_URL", "http://keyward.test"),
    ]);
    ana.base = server.base.clone();
    let (_, page) = ana.get(&users).await;
    let id = page.split("/users/invitations/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    let csrf = ana.csrf(&users).await;
    let page = ana.post_and_follow(&format!("{users}/invitations/{id}/renew"), &[("csrf", &csrf)]).await;
    assert!(page.contains("Invited omar@acme.test. The invitation was sent by email"), "{page}");
    let mail = unfold(&smtp.message(1));
    assert!(mail.contains("X-Envelope-To: omar@acme.test"), "{mail}");
});

// A person made without a password (here another team's Account Holder) gets their own activation
// link from the operator; an invitation never sets their password (I2), this link does, once.
cli_test!(admin_activation_link_lets_a_person_without_a_password_choose_one, |kw: crate::common::Keyward| async move {
    kw.ok(&["admin", "init", "--team", "Acme", "--email", "ana@acme.test"]);
    kw.ok(&["admin", "team", "create", "--name", "Beta", "--account-holder", "boss@beta.test"]);
    let server = kw.serve(&[]);
    let link = kw.ok(&["admin", "activation-link", "--email", "Boss@Beta.test", "--json"]).json();
    let link = link["link"].as_str().unwrap().to_owned();
    let path = &link[link.find("/activate/").unwrap()..];
    let boss = Browser::new(&server.base);
    assert_eq!(boss.get(path).await.0, 200);
    let (status, _, cookie) =
        boss.post(path, &[("first_name", "Bo"), ("last_name", "Ss"), ("password", PASSWORD)]).await;
    assert_eq!(status, 303);
    assert!(cookie.is_some());
    assert_eq!(boss.get(path).await.0, 404, "the link works once");
    let refused = kw.refused(&["admin", "activation-link", "--email", "boss@beta.test"]);
    assert!(refused.stderr.contains("already has a password"), "{}", refused.stderr);
    let refused = kw.refused(&["admin", "activation-link", "--email", "nobody@x.test"]);
    assert!(refused.stderr.contains("nobody"), "{}", refused.stderr);
});
