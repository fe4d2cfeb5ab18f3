//! The real server on a real socket (port 0), on a fresh SQLite or PostgreSQL database, with
//! helpers to make teams and keys through the same code paths the CLI and console use.
#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

use keyward_core::actor::{Actor, ActorContext};
use keyward_core::ids::{AppId, IssuerId, KeyId, MemberId, TeamId};
use keyward_core::ports::*;
use keyward_core::role::RoleSet;
use keyward_core::settings::Settings;
use keyward_server::{AppState, ServeOptions, lifecycle};
use keyward_store::testing::TestDatabase;
use keyward_store::{Backend, Store};
use keyward_token::PrivateKeyPem;
use keyward_token::sign::{TokenRequest, sign_token};
use tokio::sync::oneshot;

/// Declares one test per backend: `server_test!(name, settings_fn, |srv: Server| async move { … });`
#[macro_export]
macro_rules! server_test {
    ($name:ident, $body:expr) => {
        server_test!($name, keyward_core::settings::Settings::default(), $body);
    };
    ($name:ident, $settings:expr, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let srv = $crate::common::Server::start(keyward_store::Backend::Sqlite, $settings).await;
                ($body)(srv).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let srv = $crate::common::Server::start(keyward_store::Backend::Postgres, $settings).await;
                ($body)(srv).await;
            }
        }
    };
}

pub struct Server {
    pub base: String,
    pub state: AppState,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    /// The database's URL; its guard (a throw-away database) when the harness made it.
    pub url: keyward_store::DatabaseUrl,
    _db: Option<TestDatabase>,
}

/// A downloaded key: what a client holds.
#[derive(Debug)]
pub struct Key {
    pub id: KeyId,
    pub team: TeamId,
    pub issuer: IssuerId,
    pub private: PrivateKeyPem,
    /// Individual keys: the member.
    pub member: Option<MemberId>,
}

impl Key {
    pub fn token(&self) -> String {
        self.token_with(1200, vec![])
    }

    pub fn token_with(&self, lifetime: i64, scope: Vec<String>) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let issuer = if self.member.is_some() { None } else { Some(self.issuer) };
        sign_token(
            &self.private,
            &TokenRequest {
                key_id: self.id.clone(),
                issuer,
                audience: "appstoreconnect-v1".into(),
                issued_at: now,
                lifetime_seconds: lifetime,
                scope,
            },
        )
        .unwrap()
    }
}

pub fn operator() -> ActorContext {
    ActorContext::operator_cli()
}

impl Server {
    pub async fn start(backend: Backend, settings: Settings) -> Server {
        let db = TestDatabase::new(backend).await;
        let url = db.url.clone();
        Server::start_on(url, settings, Some(db)).await
    }

    /// A server on a database the test provides (a cluster it stops and starts, say).
    pub async fn start_on(url: keyward_store::DatabaseUrl, settings: Settings, db: Option<TestDatabase>) -> Server {
        Server::start_configured(url, settings, db, |_| {}).await
    }

    /// A server whose state `configure` finishes (a gateway policy, say) before it serves.
    pub async fn start_configured(
        url: keyward_store::DatabaseUrl,
        settings: Settings,
        db: Option<TestDatabase>,
        configure: impl FnOnce(&mut AppState),
    ) -> Server {
        let store = Store::open_and_migrate(&url).await.unwrap();
        let mut state = AppState::new(store, settings, None).await.unwrap();
        configure(&mut state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let options = ServeOptions {
            listen: listener.local_addr().unwrap(),
            purge_every: Duration::from_secs(3600),
            flush_every: Duration::from_millis(100),
        };
        tokio::spawn(keyward_server::serve_on(listener, state.clone(), options, async move {
            let _ = stopped.await;
        }));
        Server { base, state, client: reqwest::Client::new(), stop: Some(stop), url, _db: db }
    }

    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// A team with approved API access.
    pub async fn team(&self, name: &str) -> TeamCreated {
        let t = self
            .store()
            .create_team(
                NewTeam {
                    name: name.into(),
                    account_holder: NewPerson {
                        email: format!("holder@{}.test", name.to_lowercase()),
                        first_name: "Ana".into(),
                        last_name: "Holder".into(),
                        password_hash: None,
                    },
                    holder_is_operator: false,
                },
                &operator(),
            )
            .await
            .unwrap();
        let holder = ActorContext { actor: Actor::Member(t.member_id), label: "holder".into(), ip: None };
        self.store().request_access(t.team.id, &holder, true).await.unwrap();
        t
    }

    /// A downloaded team key with these roles, known to the verifier.
    pub async fn team_key(&self, team: &TeamCreated, roles: &str) -> Key {
        let new = NewKey::Team { name: format!("key {roles}"), roles: RoleSet::parse_list(roles).unwrap() };
        let key = lifecycle::generate_key(self.store(), team.team.id, new, 50, &operator()).await.unwrap();
        let (_, private) = lifecycle::download_key(self.store(), team.team.id, &key.id, &operator()).await.unwrap();
        self.sync().await;
        Key { id: key.id, team: team.team.id, issuer: team.team.issuer_id, private, member: None }
    }

    /// A member with these roles and apps (`None`: all apps), and their downloaded individual key.
    pub async fn individual_key(&self, team: &TeamCreated, email: &str, roles: &str, apps: Option<Vec<AppId>>) -> Key {
        let member = self
            .store()
            .add_member(
                team.team.id,
                NewMember {
                    person: NewPerson {
                        email: email.into(),
                        first_name: "Dev".into(),
                        last_name: "Member".into(),
                        password_hash: None,
                    },
                    roles: RoleSet::parse_list(roles).unwrap(),
                    individual_keys: true,
                    all_apps_visible: apps.is_none(),
                    visible_apps: apps.unwrap_or_default(),
                    provisioning_allowed: false,
                },
                &operator(),
            )
            .await
            .unwrap();
        let me = ActorContext { actor: Actor::Member(member.id), label: email.into(), ip: None };
        let key =
            lifecycle::generate_key(self.store(), team.team.id, NewKey::Individual { member_id: member.id }, 50, &me)
                .await
                .unwrap();
        let (_, private) = lifecycle::download_key(self.store(), team.team.id, &key.id, &me).await.unwrap();
        self.sync().await;
        Key { id: key.id, team: team.team.id, issuer: team.team.issuer_id, private, member: Some(member.id) }
    }

    pub async fn app(&self, team: &TeamCreated, name: &str) -> AppId {
        let app = keyward_core::app::NewApp {
            name: name.into(),
            bundle_id: format!("com.{}.{}", team.team.name.to_lowercase(), name.to_lowercase()),
            sku: name.to_uppercase(),
            primary_locale: "en-US".into(),
        };
        let id = self.store().create_app(team.team.id, app, &operator()).await.unwrap().id;
        // As another process's write would, it reaches the read model through the feed.
        self.sync().await;
        id
    }

    /// Applies the change feed now, as handlers do after their writes.
    pub async fn sync(&self) {
        self.state.replica.sync(self.store()).await.unwrap();
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.base)).bearer_auth(token).send().await.unwrap()
    }

    pub async fn request(&self, method: reqwest::Method, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut r = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Status, `X-Rate-Limit` and JSON body of a response.
pub async fn parts(r: reqwest::Response) -> (u16, Option<String>, serde_json::Value) {
    let status = r.status().as_u16();
    let limit = r.headers().get("x-rate-limit").map(|v| v.to_str().unwrap().to_owned());
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    let body: serde_json::Value = r.json().await.unwrap_or(serde_json::Value::Null);
    if status >= 400 {
        assert_eq!(ct.as_deref(), Some("application/json"), "error content type is exactly application/json");
        assert_eq!(body["errors"][0]["status"], status.to_string(), "status is a string in the body: {body}");
    }
    (status, limit, body)
}

pub fn code(body: &serde_json::Value) -> &str {
    body["errors"][0]["code"].as_str().unwrap_or_default()
}

/// Signs exactly these header and claims (for shapes our signer never makes).
pub fn craft(key: &Key, header: serde_json::Value, claims: serde_json::Value) -> String {
    use keyward_token::b64;
    let input = format!("{}.{}", b64::encode(header.to_string()), b64::encode(claims.to_string()));
    let sig = keyward_token::sign::sign_raw(&key.private, input.as_bytes()).unwrap();
    format!("{input}.{}", b64::encode(sig))
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Standard claims of a key's token at `now`, for editing.
pub fn claims(key: &Key) -> serde_json::Value {
    let mut c = serde_json::json!({"iat": now(), "exp": now() + 1200, "aud": "appstoreconnect-v1"});
    match key.member {
        None => c["iss"] = serde_json::json!(key.issuer.to_string()),
        Some(_) => c["sub"] = serde_json::json!("user"),
    }
    c
}

pub fn header(key: &Key) -> serde_json::Value {
    serde_json::json!({"alg": "ES256", "kid": key.id.as_str(), "typ": "JWT"})
}

impl Server {
    /// A request with a JSON body (or any body with the given content type).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<(&str, String)>,
    ) -> reqwest::Response {
        let mut r = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(token);
        if let Some((content_type, b)) = body {
            r = r.header("content-type", content_type).body(b);
        }
        r.send().await.unwrap()
    }

    pub async fn json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let (status, _, body) =
            parts(self.send(method, path, token, Some(("application/json", body.to_string()))).await).await;
        (status, body)
    }
}

/// A PEM certificate signing request for a fresh RSA 2048 key, as Keychain Access or a CI
/// tool makes one (spec F1).
pub fn rsa_csr() -> String {
    use aws_lc_rs::encoding::AsDer;
    let key = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let pkcs8 = key.as_der().unwrap();
    let pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8.as_ref().into(), &rcgen::PKCS_RSA_SHA256).unwrap();
    rcgen::CertificateParams::default().serialize_request(&pair).unwrap().pem().unwrap()
}
