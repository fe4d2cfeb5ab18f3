//! `POST /v1/{type}`: the body checked against the operation's request schema (R4), its links
//! against what the team has and the key sees (A4), then the resource made with a server-made ID,
//! creation dates and initial states in Apple's forms (R5), with what Apple's servers add for some
//! families (`behaviour/`: a certificate from a CSR, a signed profile), and answered 201.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::Response;
use keyward_core::change::Change;
use keyward_core::ports::ResourceStore;
use keyward_core::resource::Resource;
use serde_json::{Map, Value};

use super::{Call, render};
use crate::error::ApiError;

pub(super) async fn handle(call: &Call<'_>, body: Value) -> Result<Response, ApiError> {
    super::check_body(call, &body)?;
    let kind = super::resource_kind(call)?;
    let schema = call.api.schema_of(kind).ok_or_else(ApiError::internal)?;
    let data = &body["data"];
    let mut attributes: Map<String, Value> = data["attributes"].as_object().cloned().unwrap_or_default();
    let mut relationships = super::links_of(data)?;
    super::check_links(call, &relationships)?;
    let id = super::new_id(kind);
    let rules = super::behaviour::before_create(call, kind, &id, &mut attributes, &mut relationships).await?;
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    let stamp = crate::views::timestamp(now);
    for attribute in &schema.attributes {
        if !attributes.contains_key(&attribute.name)
            && let Some(value) = attribute.initial_value(&stamp)
        {
            attributes.insert(attribute.name.clone(), value);
        }
    }
    let resource = Resource {
        team_id: call.key.team_id,
        kind: kind.to_owned(),
        id,
        app: super::app_of(call, &relationships),
        attributes,
        relationships: relationships.into_iter().collect::<BTreeMap<_, _>>(),
        created_at: now,
        updated_at: now,
    };
    let (created, mut changes) = call.state.store.create_resource(resource, rules).await?;
    changes.push(Change::Resource {
        team_id: created.team_id,
        resource_type: created.kind.clone(),
        id: created.id.clone(),
    });
    call.state.written(&changes).await;
    let data = render::resource(call.api, &call.base, &created, None);
    let self_url = data["links"]["self"].as_str().unwrap_or_default().to_owned();
    Ok(render::single(StatusCode::CREATED, data, self_url))
}
