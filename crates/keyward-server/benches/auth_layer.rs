//! What the bearer-token layer adds to a warm request: the same trivial handler served in-process
//! with and without `require_token` (cache hit, area check, rate limit, headers).
//! Run with `cargo bench -p keyward-server`.

use std::hint::black_box;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use keyward_core::actor::{Actor, ActorContext};
use keyward_core::ports::{NewKey, NewPerson, NewTeam, TeamStore};
use keyward_core::role::{Role, RoleSet};
use keyward_core::settings::Settings;
use keyward_server::auth::middleware::require_token;
use keyward_server::{AppState, lifecycle};
use keyward_store::testing::TestDatabase;
use keyward_store::{Backend, Store};
use keyward_token::sign::{TokenRequest, sign_token};
use tower::ServiceExt;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (state, token, _db) = rt.block_on(async {
        let db = TestDatabase::new(Backend::Sqlite).await;
        let store = Store::open_and_migrate(&db.url).await.expect("store");
        let operator = ActorContext::operator_cli();
        let person = NewPerson {
            email: "a@b.test".into(),
            first_name: String::new(),
            last_name: String::new(),
            password_hash: None,
        };
        let t = store
            .create_team(NewTeam { name: "Bench".into(), account_holder: person, holder_is_operator: true }, &operator)
            .await
            .expect("team");
        let holder = ActorContext { actor: Actor::Member(t.member_id), label: "holder".into(), ip: None };
        store.request_access(t.team.id, &holder, true).await.expect("access");
        let new = NewKey::Team { name: "bench".into(), roles: RoleSet::of(&[Role::Developer]) };
        let key = lifecycle::generate_key(&store, t.team.id, new, 50, &operator).await.expect("key");
        let (_, private) = lifecycle::download_key(&store, t.team.id, &key.id, &operator).await.expect("download");
        let settings = Settings { rate_limit_per_hour: u32::MAX, ..Settings::default() };
        let state = AppState::new(store, settings, None).await.expect("state");
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let request = TokenRequest {
            key_id: key.id,
            issuer: Some(t.team.issuer_id),
            audience: "appstoreconnect-v1".into(),
            issued_at: now,
            lifetime_seconds: 1200,
            scope: vec![],
        };
        (state, sign_token(&private, &request).expect("token"), db)
    });
    let bare: Router = Router::new().route("/v1/apps/{id}", get(|| async { "ok" }));
    let guarded: Router = Router::new()
        .route("/v1/apps/{id}", get(|| async { "ok" }))
        .route_layer(from_fn_with_state(state.clone(), require_token))
        .with_state(state);
    let request = || {
        Request::get("/v1/apps/1234567890")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request")
    };
    rt.block_on(async {
        let warm = guarded.clone().oneshot(request()).await.expect("response");
        assert_eq!(warm.status(), 200);
    });
    c.bench_function("trivial handler without the auth layer", |b| {
        b.iter(|| rt.block_on(async { black_box(bare.clone().oneshot(request()).await.expect("response")) }))
    });
    c.bench_function("trivial handler behind the auth layer (warm token)", |b| {
        b.iter(|| rt.block_on(async { black_box(guarded.clone().oneshot(request()).await.expect("response")) }))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
