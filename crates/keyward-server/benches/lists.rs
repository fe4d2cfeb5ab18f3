//! Lists at scale: 10,000 members and 2,000 apps in one team, on SQLite and PostgreSQL.
//! Reports p50/p99 of `GET /v1/users?limit=200` and `GET /v1/apps?limit=200` for the first and
//! the last page (keyset paging: the last page must cost what the first does), and the time to
//! page through everything by `links.next`. Run with `cargo bench -p keyward-server --bench lists`.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use keyward_core::actor::{Actor, ActorContext};
use keyward_core::ports::{NewKey, NewPerson, NewTeam, TeamStore};
use keyward_core::role::{Role, RoleSet};
use keyward_core::settings::Settings;
use keyward_server::{AppState, lifecycle, router};
use keyward_store::testing::TestDatabase;
use keyward_store::{Backend, Store};
use keyward_token::sign::{TokenRequest, sign_token};
use tower::ServiceExt;

const MEMBERS: usize = 10_000;
const APPS: usize = 2_000;
const SAMPLES: usize = 40;

async fn seed(store: &Store, team: &str) {
    for chunk in (0..MEMBERS).collect::<Vec<_>>().chunks(500) {
        let mut persons = Vec::new();
        let mut members = Vec::new();
        for i in chunk {
            persons.push(format!(
                "('00000000-0000-4000-8000-{i:012}', 'user{i:05}@bench.test', 'First', 'Last{:04}', NULL, FALSE, 0)",
                i % 977
            ));
            members.push(format!("('10000000-0000-4000-8000-{i:012}', '{team}', '00000000-0000-4000-8000-{i:012}', 'DEVELOPER', TRUE, FALSE, 0)"));
        }
        store.debug_execute_for_tests(&format!("INSERT INTO persons (id, email, first_name, last_name, password_hash, is_operator, created_at) VALUES {}", persons.join(","))).await.expect("persons");
        store.debug_execute_for_tests(&format!("INSERT INTO members (id, team_id, person_id, roles, all_apps_visible, provisioning_allowed, created_at) VALUES {}", members.join(","))).await.expect("members");
    }
    for chunk in (0..APPS).collect::<Vec<_>>().chunks(500) {
        let apps: Vec<String> = chunk
            .iter()
            .map(|i| {
                format!(
                    "({}, '{team}', 'App {i:04}', 'com.bench.app{i}', 'SKU{i:04}', 'en-US', FALSE, 0)",
                    2_000_000_000 + i
                )
            })
            .collect();
        store
            .debug_execute_for_tests(&format!("INSERT INTO apps (id, team_id, name, bundle_id, sku, primary_locale, is_or_ever_was_made_for_kids, created_at) VALUES {}", apps.join(",")))
            .await
            .expect("apps");
    }
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

async fn get(app: &axum::Router, url: &str, token: &str) -> serde_json::Value {
    let req =
        Request::get(url).header("authorization", format!("Bearer {token}")).body(Body::empty()).expect("request");
    let response = app.clone().oneshot(req).await.expect("response");
    assert_eq!(response.status(), 200);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    serde_json::from_slice(&bytes).expect("json")
}

async fn timed(app: &axum::Router, url: &str, token: &str) -> (Duration, Duration) {
    let mut samples = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        get(app, url, token).await;
        samples.push(started.elapsed());
    }
    (percentile(&mut samples, 0.5), percentile(&mut samples, 0.99))
}

async fn run(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let store = Store::open_and_migrate(&db.url).await.expect("store");
    let operator = ActorContext::operator_cli();
    let person = NewPerson {
        email: "holder@bench.test".into(),
        first_name: String::new(),
        last_name: String::new(),
        password_hash: None,
    };
    let t = store
        .create_team(NewTeam { name: "Bench".into(), account_holder: person, holder_is_operator: false }, &operator)
        .await
        .expect("team");
    let holder = ActorContext { actor: Actor::Member(t.member_id), label: "holder".into(), ip: None };
    store.request_access(t.team.id, &holder, true).await.expect("access");
    seed(&store, &t.team.id.to_string()).await;
    let key = lifecycle::generate_key(
        &store,
        t.team.id,
        NewKey::Team { name: "bench".into(), roles: RoleSet::of(&[Role::Admin]) },
        50,
        &operator,
    )
    .await
    .expect("key");
    let (_, private) = lifecycle::download_key(&store, t.team.id, &key.id, &operator).await.expect("download");
    let state = AppState::new(
        store,
        Settings { rate_limit_per_hour: u32::MAX, ..Settings::default() },
        Some("http://bench".into()),
    )
    .await
    .expect("state");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let token = sign_token(
        &private,
        &TokenRequest {
            key_id: key.id,
            issuer: Some(t.team.issuer_id),
            audience: "appstoreconnect-v1".into(),
            issued_at: now,
            lifetime_seconds: 1200,
            scope: vec![],
        },
    )
    .expect("token");
    let app = router(state);
    for (resource, first) in [("users", "/v1/users?limit=200"), ("apps", "/v1/apps?limit=200")] {
        let started = Instant::now();
        let mut url = first.to_owned();
        let mut last = url.clone();
        // The last full page (the very last may hold a single item).
        let mut last_full = url.clone();
        let mut pages = 0;
        loop {
            let doc = get(&app, &url, &token).await;
            pages += 1;
            match doc["links"]["next"].as_str() {
                Some(next) => {
                    if doc["data"].as_array().is_some_and(|d| d.len() == 200) {
                        last_full = url.clone();
                    }
                    last = next.trim_start_matches("http://bench").to_owned();
                    url = last.clone();
                }
                None => break,
            }
        }
        let all = started.elapsed();
        let (p50_first, p99_first) = timed(&app, first, &token).await;
        let last_doc = get(&app, &last, &token).await;
        let last = if last_doc["data"].as_array().is_some_and(|d| d.len() == 200) { last } else { last_full };
        let (p50_last, p99_last) = timed(&app, &last, &token).await;
        println!(
            "{backend:<10} GET /v1/{resource}?limit=200  first page p50 {:>6.2} ms  p99 {:>6.2} ms | last full page p50 {:>6.2} ms  p99 {:>6.2} ms | all {pages} pages {:>7.1} ms",
            p50_first.as_secs_f64() * 1e3,
            p99_first.as_secs_f64() * 1e3,
            p50_last.as_secs_f64() * 1e3,
            p99_last.as_secs_f64() * 1e3,
            all.as_secs_f64() * 1e3,
        );
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    println!("{MEMBERS} members and {APPS} apps in one team, in-process (no network), {SAMPLES} samples per figure");
    rt.block_on(run(Backend::Sqlite));
    rt.block_on(run(Backend::Postgres));
}
