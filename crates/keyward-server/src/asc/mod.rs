//! Apple's whole App Store Connect API (spec section 12) beyond the hand-made routes of section 7:
//! every other operation of Apple's document, served generically.
//!
//! What `GET /v1/betaGroups` does is decided here and nowhere else: [`dispatch`] finds the
//! operation in `keyward-asc`'s index of Apple's document, sends the request through the same gate
//! as every keyed request (the area of its path, A1–A5; its budget, L1–L4), then hands it to the
//! handler of its kind: one file per kind of operation (`get_collection.rs`, `create.rs`, …), the
//! same for all 195 resource families. Reads come from this node's replica; writes go through
//! `keyward-store`'s `ResourceStore` and `AppState::written`.

mod apple_data;
mod behaviour;
mod create;
mod delete;
mod get_collection;
mod get_instance;
mod include;
mod link_change;
mod linkage;
mod list;
mod metrics;
mod parent;
mod related;
mod render;
mod update;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use keyward_asc::{Api, Lookup, OpKind, Operation, Query};
use keyward_token::verify::Principal;

use crate::AppState;
use crate::auth::middleware;
use crate::error::ApiError;
use crate::views::BaseUrl;

/// One admitted call of an operation: what every handler reads.
pub(crate) struct Call<'a> {
    pub state: &'a AppState,
    pub api: &'static Api,
    pub key: Arc<Principal>,
    pub operation: &'static Operation,
    /// The `{id}` of the path.
    pub id: Option<String>,
    pub query: Query,
    pub base: BaseUrl,
    pub uri: Uri,
}

impl Call<'_> {
    /// The path's `{id}`; every operation that is not a collection has one.
    pub fn id(&self) -> &str {
        self.id.as_deref().unwrap_or_default()
    }

    /// The request's own URL, its query as the client sent it (`links.self`).
    pub fn self_url(&self) -> String {
        self.base.url_with_query(self.uri.path(), self.uri.query().unwrap_or_default())
    }
}

/// Spec F2, F4: what Apple finishes later (uploaded builds processed, review responses
/// published) once its delay has passed, checked every second on every node until `shutdown`.
pub(crate) async fn process_builds(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        behaviour::finish_later(&state).await;
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

pub(crate) use behaviour::deliver_webhooks;

/// Every request under `/v1`, `/v2` or `/v3` that no hand-made route serves.
pub(crate) async fn dispatch(State(state): State<AppState>, req: Request) -> Response {
    let api = match Api::shared() {
        Ok(api) => api,
        Err(e) => {
            tracing::error!(error = e, "Apple's document cannot be read");
            return ApiError::internal().into_response();
        }
    };
    let path = req.uri().path().to_owned();
    let (operation, id) = match api.lookup(req.method().as_str(), &path) {
        Lookup::Unknown => return middleware::unknown_path(State(state), req).await,
        Lookup::NotAllowed { family, kind, allowed } => {
            let mut names: Vec<&str> = allowed.iter().map(|k| k.apple_name()).collect();
            names.dedup();
            let refusal = ApiError::operation_not_allowed(family, kind.apple_name(), &names.join(", "));
            return middleware::refuse_admitted(State(state), req, refusal).await;
        }
        Lookup::Operation(op, id) => (op, id.map(str::to_owned)),
    };
    let (parts, body) = req.into_parts();
    let admitted =
        match middleware::admit_v1(&state, &parts.method, &parts.uri, &parts.headers, &parts.extensions).await {
            Ok(a) => a,
            Err(refused) => return refused.response,
        };
    let mut response = match serve(&state, api, operation, id, parts, body, admitted.principal.clone()).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    admitted.stamp(&mut response);
    response
}

async fn serve(
    state: &AppState,
    api: &'static Api,
    operation: &'static Operation,
    id: Option<String>,
    parts: axum::http::request::Parts,
    body: axum::body::Body,
    key: Arc<Principal>,
) -> Result<Response, ApiError> {
    let query = Query::parse(operation, parts.uri.query()).map_err(|e| ApiError::parameter(&e.parameter, e.detail))?;
    let base = crate::routes::v1::base(state, &parts.headers);
    let call = Call { state, api, key, operation, id, query, base, uri: parts.uri.clone() };
    may_read_what_it_draws(&call)?;
    let body = || body_of(parts.headers.clone(), body);
    if apple_data::serves(&call) {
        return apple_data::handle(&call);
    }
    match operation.kind {
        OpKind::GetCollection => get_collection::handle(&call),
        OpKind::GetInstance => get_instance::handle(&call),
        OpKind::GetToManyRelated | OpKind::GetToOneRelated => related::handle(&call),
        OpKind::GetToManyRelationship | OpKind::GetToOneRelationship => linkage::handle(&call),
        OpKind::GetMetrics => metrics::handle(&call),
        OpKind::Create => create::handle(&call, body().await?).await,
        OpKind::Update => update::handle(&call, body().await?).await,
        OpKind::Delete => delete::handle(&call).await,
        OpKind::AddToMany | OpKind::ReplaceToMany | OpKind::RemoveToMany | OpKind::UpdateToOne => {
            link_change::handle(&call, body().await?).await
        }
    }
}

/// A1–A5 for what a request draws from other families: the path's area (the gate's) says who may
/// use `/v1/apps/{id}/…`, but what a related or linkage path lists, and what `include` adds, is
/// each family's own and answers to its area too (`/v1/apps/{id}/customerReviews` is the
/// customer reviews area's, whatever the app's).
fn may_read_what_it_draws(call: &Call<'_>) -> Result<(), ApiError> {
    use keyward_core::policy::{area_of, authorize};
    let op = call.operation;
    let mut kinds: Vec<String> = Vec::new();
    let drawn = match op.kind {
        OpKind::GetToManyRelated | OpKind::GetToOneRelated => resource_kind(call).ok().map(str::to_owned),
        OpKind::GetToManyRelationship | OpKind::GetToOneRelationship => op
            .relationship
            .as_deref()
            .and_then(|rel| call.api.relationship(&op.family, rel))
            .and_then(|r| r.target.clone()),
        _ => None,
    };
    kinds.extend(drawn.clone());
    let own = drawn.or_else(|| resource_kind(call).ok().map(str::to_owned));
    if let Some(own) = own {
        for rel in &call.query.include {
            if let Some(target) = call.api.relationship(&own, rel).and_then(|r| r.target.clone()) {
                kinds.push(target);
            }
        }
    }
    for kind in kinds {
        let area = area_of("GET", &format!("/v1/{kind}"));
        if let Err(why) = authorize(call.key.kind, call.key.roles, area) {
            tracing::debug!(key = %call.key.key_id, %why, kind, "request forbidden for what it draws");
            return Err(ApiError::forbidden());
        }
    }
    Ok(())
}

/// The JSON body, with the media-type, size and syntax checks of every write (415, 413, 422).
async fn body_of(headers: HeaderMap, body: axum::body::Body) -> Result<serde_json::Value, ApiError> {
    use axum::extract::FromRequest;
    let mut req = Request::new(body);
    *req.headers_mut() = headers;
    crate::jsonapi::body::JsonBody::from_request(req, &()).await.map(|b| b.0)
}

/// The resource type the operation answers with (`betaGroups` for `GET /v1/betaGroups`), or for
/// an operation that answers nothing (`DELETE`), the type its path names.
fn resource_kind(call: &Call<'_>) -> Result<&'static str, ApiError> {
    let op = call.operation;
    op.resource
        .as_deref()
        .and_then(|name| call.api.schema(name))
        .or_else(|| call.api.schema_of(&op.family))
        .map(|s| s.kind.as_str())
        .ok_or_else(|| {
            tracing::error!(operation = %op.id, "an operation without a resource schema");
            ApiError::internal()
        })
}

/// A resource of the key's team that the key sees (A4), or the 404 naming its type.
fn visible(call: &Call<'_>, kind: &str, id: &str) -> Result<Arc<keyward_core::resource::Resource>, ApiError> {
    let found = call.state.replica.resources().get(call.key.team_id, kind, id);
    found.filter(|r| list::sees(&call.key, r)).ok_or_else(|| ApiError::not_found(kind, id))
}

/// The apps among `links` that exist and that the key sees, in order.
fn visible_apps(call: &Call<'_>, links: &[keyward_core::resource::Link]) -> Vec<Arc<keyward_core::app::App>> {
    let catalog = call.state.replica.catalog();
    links
        .iter()
        .filter_map(|l| l.id.parse().ok())
        .filter(|id| crate::routes::v1::key_sees(&call.key, *id))
        .filter_map(|id| catalog.app(call.key.team_id, id))
        .collect()
}

/// An app, as `GET /v1/apps/{id}` draws it.
fn app_resource(call: &Call<'_>, app: &keyward_core::app::App) -> serde_json::Value {
    let fields = crate::views::Fields(call.query.fields.get("apps").cloned());
    crate::views::app::resource(app, &call.base, &fields)
}

/// The most a resource's attributes may hold, as JSON: Apple's longest texts (descriptions,
/// review notes) are a few thousand characters; this keeps every node's copy of the data bounded.
const MAX_ATTRIBUTES_BYTES: usize = 64 * 1024;

/// R4: the body against the operation's request schema, as Apple's 409 with `source.pointer`,
/// and within what one resource may hold.
fn check_body(call: &Call<'_>, body: &serde_json::Value) -> Result<(), ApiError> {
    call.api.check_body(call.operation, body).map_err(|p| ApiError::entity(p.code, p.detail, &p.pointer))?;
    let size = body.pointer("/data/attributes").map_or(0, |a| a.to_string().len());
    if size > MAX_ATTRIBUTES_BYTES {
        return Err(ApiError::entity(
            "ENTITY_ERROR.ATTRIBUTE.INVALID",
            format!("a resource's attributes hold at most {MAX_ATTRIBUTES_BYTES} bytes"),
            "/data/attributes",
        ));
    }
    Ok(())
}

/// A4: an individual key limited to some apps may not move a resource of one of its apps out of
/// every app (where it would be every key's to see), nor to an app it does not see.
fn keeps_app(
    call: &Call<'_>,
    before: Option<keyward_core::ids::AppId>,
    after: Option<keyward_core::ids::AppId>,
    pointer: &str,
) -> Result<(), ApiError> {
    let limited = call.key.visible_apps.is_some();
    let sees = |app| crate::routes::v1::key_sees(&call.key, app);
    if !keyward_core::resource::may_change_app(limited, sees, before, after) {
        return Err(ApiError::entity(
            "ENTITY_ERROR.RELATIONSHIP.INVALID",
            "the change would take the resource out of the apps this key sees".into(),
            pointer,
        ));
    }
    Ok(())
}

/// The linkage a body's `data` names, by relationship.
fn links_of(data: &serde_json::Value) -> Result<Vec<(String, Vec<keyward_core::resource::Link>)>, ApiError> {
    use keyward_core::resource::Link;
    let mut out = Vec::new();
    let Some(relationships) = data.get("relationships").and_then(serde_json::Value::as_object) else {
        return Ok(out);
    };
    for (rel, value) in relationships {
        let one = |v: &serde_json::Value, at: String| -> Result<Link, ApiError> {
            match (v.get("type").and_then(|t| t.as_str()), v.get("id").and_then(|i| i.as_str())) {
                (Some(kind), Some(id)) if !id.is_empty() && id.len() <= 200 => {
                    Ok(Link { kind: kind.to_owned(), id: id.to_owned() })
                }
                _ => Err(ApiError::entity(
                    "ENTITY_ERROR.RELATIONSHIP.INVALID",
                    "a linkage needs a type and an id".into(),
                    &at,
                )),
            }
        };
        let at = format!("/data/relationships/{rel}/data");
        let links = match value.get("data") {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::Array(items)) => {
                if items.len() > 1000 {
                    return Err(ApiError::entity(
                        "ENTITY_ERROR.RELATIONSHIP.INVALID",
                        "a relationship takes at most 1,000 linkages".into(),
                        &at,
                    ));
                }
                items.iter().enumerate().map(|(i, v)| one(v, format!("{at}/{i}"))).collect::<Result<_, _>>()?
            }
            Some(v) => vec![one(v, at.clone())?],
        };
        out.push((rel.clone(), links));
    }
    Ok(out)
}

/// A4 and team scoping of a body's links: an app or resource the key does not see, or another
/// team's, is one that does not exist (409 with the pointer of the linkage).
fn check_links(call: &Call<'_>, links: &[(String, Vec<keyward_core::resource::Link>)]) -> Result<(), ApiError> {
    for (rel, items) in links {
        for (i, link) in items.iter().enumerate() {
            let exists = match link.kind.as_str() {
                "apps" => link.id.parse().is_ok_and(|id| {
                    crate::routes::v1::key_sees(&call.key, id)
                        && call.state.replica.catalog().app(call.key.team_id, id).is_some()
                }),
                // Section 7's members and invitations: the store checks them within the team.
                "users" | "userInvitations" => true,
                kind => call
                    .state
                    .replica
                    .resources()
                    .get(call.key.team_id, kind, &link.id)
                    .is_some_and(|r| list::sees(&call.key, &r)),
            };
            if !exists {
                let at = if items.len() > 1 {
                    format!("/data/relationships/{rel}/data/{i}")
                } else {
                    format!("/data/relationships/{rel}/data")
                };
                return Err(ApiError::entity(
                    "ENTITY_ERROR.RELATIONSHIP.INVALID",
                    format!("there is no resource of type '{}' with id '{}'", link.kind, link.id),
                    &at,
                ));
            }
        }
    }
    Ok(())
}

/// A4: the app a resource belongs to: the app it links to, or the app of a resource it links to.
fn app_of(call: &Call<'_>, links: &[(String, Vec<keyward_core::resource::Link>)]) -> Option<keyward_core::ids::AppId> {
    let all = || links.iter().flat_map(|(_, l)| l);
    if let Some(app) = all().find(|l| l.kind == "apps").and_then(|l| l.id.parse().ok()) {
        return Some(app);
    }
    let index = call.state.replica.resources();
    all().find_map(|l| index.get(call.key.team_id, &l.kind, &l.id).and_then(|r| r.app))
}

/// R5: a new resource's ID in Apple's form: ten characters for the provisioning types
/// (`bundleIds`, `certificates`, `devices`, `profiles`), a UUID elsewhere.
fn new_id(kind: &str) -> String {
    const PROVISIONING: [&str; 4] = ["bundleIds", "certificates", "devices", "profiles"];
    let uuid = uuid::Uuid::new_v4();
    if PROVISIONING.contains(&kind) {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        return uuid
            .as_bytes()
            .iter()
            .take(10)
            .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
            .collect();
    }
    uuid.to_string()
}
