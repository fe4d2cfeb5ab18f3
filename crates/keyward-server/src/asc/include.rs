//! `include=…` (R3): each resource's included relationships carry their linkage (`data`, and for
//! lists `meta.paging`, at most `limit[relationship]` of them), and the resources linked go once
//! each into the document's `included`, as the key sees them (A4). The linkage is what the
//! relationship's own paths answer (`parent.rs`), so the three never disagree.

use std::collections::HashSet;
use std::sync::Arc;

use keyward_core::resource::Resource;
use serde_json::{Value, json};

use super::parent::Parent;
use super::{Call, list, render};

/// How many of a to-many relationship an `include` shows when no `limit[…]` says.
const DEFAULT_LIMIT: u64 = 10;

/// Adds the included relationships' linkage to each of `data` (the drawn `resources`, in order)
/// and returns the `included` array, or `None` when the call includes nothing.
pub(super) fn apply(call: &Call<'_>, resources: &[Arc<Resource>], data: &mut [Value]) -> Option<Vec<Value>> {
    if call.query.include.is_empty() {
        return None;
    }
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut included = Vec::new();
    for (r, object) in resources.iter().zip(data.iter_mut()) {
        let parent = Parent::Resource(r.clone());
        for rel in &call.query.include {
            let Some(relationship) = call.api.relationship(&r.kind, rel) else { continue };
            let Some(target) = relationship.target.clone() else { continue };
            let linked = parent.related(call, rel, &target);
            let limit = call.query.limits.get(rel).copied().unwrap_or(DEFAULT_LIMIT);
            let shown = usize::try_from(limit).unwrap_or(usize::MAX);
            let wanted = if relationship.to_many { shown } else { 1 };
            // Every visible link counts towards the total; only those shown are drawn.
            let (linkage, objects): (Vec<Value>, Vec<Value>) = if target == "apps" {
                let apps = super::visible_apps(call, &linked);
                let objects = apps.iter().take(wanted).map(|a| super::app_resource(call, a)).collect();
                (apps.iter().map(|a| json!({"type": "apps", "id": a.id.to_string()})).collect(), objects)
            } else {
                let visible: Vec<Arc<Resource>> = {
                    let index = call.state.replica.resources();
                    linked
                        .iter()
                        .filter_map(|l| index.get(call.key.team_id, &l.kind, &l.id))
                        .filter(|found| list::sees(&call.key, found))
                        .collect()
                };
                let objects = visible
                    .iter()
                    .take(wanted)
                    .map(|found| render::resource(call.api, &call.base, found, render::fields(call, &found.kind)))
                    .collect();
                (visible.iter().map(|found| json!({"type": found.kind, "id": found.id})).collect(), objects)
            };
            let mut entry = serde_json::Map::new();
            if relationship.to_many {
                entry.insert("data".into(), Value::Array(linkage.iter().take(shown).cloned().collect()));
                entry.insert("meta".into(), json!({ "paging": { "total": linkage.len(), "limit": limit } }));
            } else {
                entry.insert("data".into(), linkage.first().cloned().unwrap_or(Value::Null));
            }
            if let Value::Object(object) = object {
                let relationships = object.entry("relationships").or_insert_with(|| json!({}));
                if let Value::Object(relationships) = relationships {
                    match relationships.entry(rel.clone()).or_insert_with(|| json!({})) {
                        Value::Object(existing) => existing.extend(entry),
                        other => *other = Value::Object(entry),
                    }
                }
            }
            for (link, drawn) in linkage.iter().zip(objects) {
                let key = (
                    link["type"].as_str().unwrap_or_default().to_owned(),
                    link["id"].as_str().unwrap_or_default().to_owned(),
                );
                if seen.insert(key) {
                    included.push(drawn);
                }
            }
        }
    }
    Some(included)
}
