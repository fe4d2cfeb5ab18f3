//! The document read into an index: operations, the routes to them, resource schemas.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use crate::document::{Document, ref_name};
use crate::operation::{Method, OpKind, Operation, Param};
use crate::routes::{Found, Routes};
use crate::schema::{Relationship, ResourceSchema};
use crate::validate::{Problem, check};

/// Apple's API, indexed.
#[derive(Debug)]
pub struct Api {
    document: Document,
    operations: Vec<Operation>,
    routes: Routes,
    schemas: HashMap<String, ResourceSchema>,
    /// The schema a resource type is answered with by its own instance or collection operation.
    primary: HashMap<String, String>,
    /// A type's instance path template (`/v1/betaGroups/{id}`), newest version first.
    instances: HashMap<String, String>,
    /// By type: its relationships, and whether the document serves their linkage (`…/relationships/x`)
    /// and related (`…/x`) paths, worked out once rather than per resource drawn (R8).
    relationship_links: HashMap<String, Vec<RelationshipLinks>>,
}

/// Which links a relationship of a type carries in answers.
#[derive(Debug, Clone)]
pub struct RelationshipLinks {
    pub name: String,
    /// `…/relationships/{name}` is served.
    pub linkage: bool,
    /// `…/{name}` is served.
    pub related: bool,
}

/// What a request's method and path are to the document.
#[derive(Debug)]
pub enum Lookup<'a, 'p> {
    /// The operation, and the `{id}` of the path.
    Operation(&'a Operation, Option<&'p str>),
    /// The path is the document's, the method is not: Apple's 403 "The given operation is not
    /// allowed", naming the operations it does allow.
    NotAllowed { family: &'a str, kind: OpKind, allowed: Vec<OpKind> },
    /// No path of the document.
    Unknown,
}

fn response_schema(op: &Value) -> Option<&str> {
    let responses = op.get("responses")?.as_object()?;
    ["200", "201"]
        .iter()
        .find_map(|code| responses.get(*code))
        .and_then(|r| r.pointer("/content/application~1json/schema"))
        .and_then(ref_name)
}

/// What an operation would be called on a path its method does not have, for the 403's wording.
fn kind_for(method: Method, path: &str) -> OpKind {
    let segments = path.split('/').filter(|s| !s.is_empty()).count();
    match (method, segments, path.contains("/relationships/")) {
        (Method::Post, 2, _) => OpKind::Create,
        (Method::Get, 2, _) => OpKind::GetCollection,
        (Method::Patch, _, false) => OpKind::Update,
        (Method::Delete, _, false) => OpKind::Delete,
        (Method::Post, _, true) => OpKind::AddToMany,
        (Method::Patch, _, true) => OpKind::ReplaceToMany,
        (Method::Delete, _, true) => OpKind::RemoveToMany,
        (Method::Get, _, _) => OpKind::GetInstance,
        (Method::Post, _, false) => OpKind::Create,
    }
}

impl Api {
    /// The committed document, indexed.
    pub fn embedded() -> Result<Api, String> {
        Api::new(Document::embedded()?)
    }

    /// The committed document, indexed once per process: every server of a process (tests start
    /// hundreds) shares it.
    pub fn shared() -> Result<&'static Api, &'static str> {
        static API: std::sync::OnceLock<Result<Api, String>> = std::sync::OnceLock::new();
        API.get_or_init(Api::embedded).as_ref().map_err(String::as_str)
    }

    /// The path of a resource of `kind` (`/v1/betaGroups/{id}`, with the ID), from its instance
    /// operation; `/v1/{kind}/{id}` when the document has none.
    pub fn instance_path(&self, kind: &str, id: &str) -> String {
        match self.instances.get(kind) {
            Some(t) => t.replace("{id}", id),
            None => format!("/v1/{kind}/{id}"),
        }
    }

    /// The relationships a resource of `kind` is drawn with, and which of their paths are served.
    pub fn relationship_links(&self, kind: &str) -> &[RelationshipLinks] {
        self.relationship_links.get(kind).map_or(&[], Vec::as_slice)
    }

    /// Whether `method` on `path` is an operation of the document.
    pub fn serves(&self, method: Method, path: &str) -> bool {
        self.routes.find(path).is_some_and(|f| f.operations.iter().any(|(m, _)| *m == method))
    }

    pub fn new(document: Document) -> Result<Api, String> {
        let mut schemas = HashMap::new();
        if let Some(all) = document.root().pointer("/components/schemas").and_then(Value::as_object) {
            for (name, schema) in all {
                if let Some(s) = ResourceSchema::read(&document, name, schema) {
                    schemas.insert(name.clone(), s);
                }
            }
        }
        let mut operations = Vec::new();
        let mut routes = Routes::default();
        let paths = document.root().get("paths").and_then(Value::as_object).ok_or("the document has no paths")?;
        for (path, item) in paths {
            let Some(item) = item.as_object() else { continue };
            let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            for (method, op) in item {
                let Some(method) = Method::parse(method) else { continue };
                let id =
                    op.get("operationId").and_then(Value::as_str).ok_or_else(|| format!("{path}: no operationId"))?;
                let kind =
                    OpKind::from_operation_id(id).ok_or_else(|| format!("{id}: an operation of unknown kind"))?;
                let response = response_schema(op).map(str::to_owned);
                let resource = response
                    .as_deref()
                    .and_then(|r| document.schema(&format!("#/components/schemas/{r}")))
                    .and_then(|r| r.pointer("/properties/data"))
                    .and_then(|d| ref_name(d).or_else(|| d.get("items").and_then(ref_name)))
                    .filter(|name| schemas.contains_key(*name))
                    .map(str::to_owned);
                let relationship = match segments.as_slice() {
                    [_, _, _, "relationships", rel] | [_, _, _, "metrics", rel] | [_, _, _, rel] => {
                        Some((*rel).to_owned())
                    }
                    _ => None,
                };
                let params = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .map(|ps| ps.iter().filter_map(Param::from_document).collect())
                    .unwrap_or_default();
                let request =
                    op.pointer("/requestBody/content/application~1json/schema").and_then(ref_name).map(str::to_owned);
                routes.insert(path, method, operations.len());
                operations.push(Operation {
                    id: id.to_owned(),
                    method,
                    path: path.clone(),
                    kind,
                    family: segments.get(1).copied().unwrap_or_default().to_owned(),
                    relationship,
                    resource,
                    response,
                    request,
                    params,
                });
            }
        }
        let mut instances: HashMap<String, String> = HashMap::new();
        for op in operations.iter().filter(|o| o.kind == OpKind::GetInstance) {
            let entry = instances.entry(op.family.clone()).or_insert_with(|| op.path.clone());
            if op.path > *entry {
                entry.clone_from(&op.path);
            }
        }
        let mut api = Api {
            document,
            operations,
            routes,
            schemas,
            primary: HashMap::new(),
            instances,
            relationship_links: HashMap::new(),
        };
        api.settle();
        let mut links = HashMap::new();
        for (kind, name) in &api.primary {
            let Some(schema) = api.schemas.get(name) else { continue };
            let own = api.instance_path(kind, "X1");
            let of = |rel: &str| RelationshipLinks {
                name: rel.to_owned(),
                linkage: api.serves(Method::Get, &format!("{own}/relationships/{rel}")),
                related: api.serves(Method::Get, &format!("{own}/{rel}")),
            };
            links.insert(kind.clone(), schema.relationships.iter().map(|r| of(&r.name)).collect());
        }
        api.relationship_links = links;
        Ok(api)
    }

    /// Second pass: each type's primary schema, and the targets of relationships that carry links
    /// only, from their related paths.
    fn settle(&mut self) {
        let mut targets: HashMap<(String, String), String> = HashMap::new();
        // Rank of the operation a type's schema was taken from: its own instance or collection
        // operation beats any other, a newer version (`/v2/…`) an older one.
        let mut ranks: HashMap<String, (u8, String)> = HashMap::new();
        for op in &self.operations {
            let Some(resource) = op.resource.as_ref().and_then(|r| self.schemas.get(r)) else { continue };
            let own = matches!(op.kind, OpKind::GetInstance | OpKind::GetCollection) && op.family == resource.kind;
            let version = op.path.get(1..3).unwrap_or_default().to_owned();
            let rank = (u8::from(own), version);
            if ranks.get(&resource.kind).is_none_or(|r| rank > *r) {
                ranks.insert(resource.kind.clone(), rank);
                self.primary.insert(resource.kind.clone(), resource.name.clone());
            }
            if matches!(op.kind, OpKind::GetToManyRelated | OpKind::GetToOneRelated)
                && let Some(rel) = &op.relationship
            {
                targets.insert((op.family.clone(), rel.clone()), resource.kind.clone());
            }
        }
        for schema in self.schemas.values_mut() {
            for rel in &mut schema.relationships {
                if rel.target.is_none() {
                    rel.target = targets.get(&(schema.kind.clone(), rel.name.clone())).cloned();
                }
            }
        }
    }

    pub fn document(&self) -> &Document {
        &self.document
    }

    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The resource types the document serves, in order.
    pub fn kinds(&self) -> BTreeSet<&str> {
        self.primary.keys().map(String::as_str).collect()
    }

    pub fn schema(&self, name: &str) -> Option<&ResourceSchema> {
        self.schemas.get(name)
    }

    /// The schema a resource type is answered with by its own operations.
    pub fn schema_of(&self, kind: &str) -> Option<&ResourceSchema> {
        self.primary.get(kind).and_then(|n| self.schemas.get(n))
    }

    /// A relationship of a type, from its primary schema.
    pub fn relationship(&self, kind: &str, name: &str) -> Option<&Relationship> {
        self.schema_of(kind)?.relationship(name)
    }

    /// What `method` on `path` is.
    pub fn lookup<'p>(&self, method: &str, path: &'p str) -> Lookup<'_, 'p> {
        let Some(Found { id, operations }) = self.routes.find(path) else { return Lookup::Unknown };
        let Some(method) = Method::parse(method) else {
            return Lookup::Unknown;
        };
        match operations.iter().find(|(m, _)| *m == method) {
            Some((_, index)) => Lookup::Operation(&self.operations[*index], id),
            None => {
                let allowed: Vec<OpKind> = operations.iter().map(|(_, i)| self.operations[*i].kind).collect();
                let family = &self.operations[operations[0].1].family;
                Lookup::NotAllowed { family, kind: kind_for(method, path), allowed }
            }
        }
    }

    /// A resource a seed file declares (spec R2): its type must be one of the document's, each
    /// attribute one of the type's with a value its schema takes (read-only ones included: seeds
    /// set what Apple's servers would), each relationship one of the type's with linkage of its
    /// target type. `app`, linking to `apps`, is always allowed: it says which app a resource
    /// belongs to (A4) where the type's schema does not (customer reviews). The problem, with
    /// where it is (`attributes.name`), if any.
    pub fn check_seeded(
        &self,
        kind: &str,
        attributes: &serde_json::Map<String, Value>,
        relationships: &[(&str, &str)],
    ) -> Result<(), (String, String)> {
        let schema = self
            .schema_of(kind)
            .ok_or_else(|| ("type".to_owned(), format!("'{kind}' is not a resource type of Apple's API")))?;
        for (name, value) in attributes {
            let at = format!("attributes.{name}");
            let attribute = schema
                .attribute(name)
                .ok_or_else(|| (at.clone(), format!("'{name}' is not an attribute of {kind}")))?;
            let mut nullable = attribute.schema.clone();
            nullable["nullable"] = Value::Bool(true);
            if let Some(problem) = check(&self.document, &nullable, value, "") {
                return Err((at, format!("{value} is not a value of {kind}.{name}: {}", problem.detail)));
            }
        }
        for (name, target) in relationships {
            let at = format!("relationships.{name}");
            if *name == "app" && *target == "apps" {
                continue;
            }
            let rel = schema
                .relationship(name)
                .ok_or_else(|| (at.clone(), format!("'{name}' is not a relationship of {kind}")))?;
            if rel.target.as_deref().is_some_and(|t| t != *target) {
                return Err((
                    at,
                    format!("{kind}.{name} links to {}, not {target}", rel.target.as_deref().unwrap_or("?")),
                ));
            }
        }
        Ok(())
    }

    /// Seeded data only Apple has (spec R7): `path` must be a `GET` of a metrics, performance,
    /// diagnostic-log or one-time-code operation with its IDs filled in; a JSON body must validate
    /// against the operation's answer schema (for metrics, its `data` list), and CSV operations
    /// take text.
    pub fn check_data(&self, path: &str, json: Option<&Value>, text: Option<&str>) -> Result<(), (String, String)> {
        let op = match self.lookup("GET", path) {
            Lookup::Operation(op, Some(_)) => op,
            _ => return Err(("path".into(), format!("{path} is not a GET path of Apple's API with an ID"))),
        };
        let content = self
            .document
            .root()
            .pointer(&format!("/paths/{}/get/responses/200/content", op.path.replace('~', "~0").replace('/', "~1")))
            .and_then(Value::as_object);
        let data_op = op.kind == OpKind::GetMetrics || (op.response.is_none() && op.resource.is_none());
        let Some((media, body)) = content.filter(|_| data_op).and_then(|c| c.iter().next()) else {
            return Err(("path".into(), format!("{path} is not a metrics, logs or one-time codes path")));
        };
        match (media.ends_with("json"), json, text) {
            (true, Some(json), _) => {
                // A metrics answer is a paged list: the seed gives its `data`, Keyward the links.
                let whole = self.document.resolve(body.get("schema").unwrap_or(&Value::Null));
                let schema = match op.kind {
                    OpKind::GetMetrics => whole.pointer("/properties/data").cloned().unwrap_or(Value::Null),
                    _ => whole.clone(),
                };
                match check(&self.document, &schema, json, "") {
                    Some(problem) => Err((format!("json{}", problem.pointer), problem.detail)),
                    None => Ok(()),
                }
            }
            (true, None, _) => Err(("json".into(), format!("{path} answers JSON ({media}): give json"))),
            (false, _, Some(_)) => Ok(()),
            (false, _, None) => Err(("text".into(), format!("{path} answers {media}: give text"))),
        }
    }

    /// R4: the body against the operation's request schema; the first problem, if any.
    pub fn check_body(&self, operation: &Operation, body: &Value) -> Result<(), Problem> {
        let Some(request) = &operation.request else { return Ok(()) };
        let schema = serde_json::json!({ "$ref": format!("#/components/schemas/{request}") });
        match check(&self.document, &schema, body, "") {
            Some(problem) => Err(problem),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn r1_every_operation_of_the_document_is_indexed_and_found() {
        let api = Api::embedded().unwrap();
        assert_eq!(api.operations().len(), 1263);
        for op in api.operations() {
            let path = op.path.replace("{id}", "X1");
            match api.lookup(op.method.as_str(), &path) {
                Lookup::Operation(found, id) => {
                    assert_eq!(found.id, op.id);
                    assert_eq!(id.is_some(), op.path.contains("{id}"), "{}", op.path);
                }
                other => panic!("{} {}: {other:?}", op.method.as_str(), op.path),
            }
        }
        assert!(api.kinds().len() >= 190, "{}", api.kinds().len());
    }

    #[test]
    fn r1_operations_know_their_resource_and_relationship() {
        let api = Api::embedded().unwrap();
        let Lookup::Operation(list, None) = api.lookup("GET", "/v1/betaGroups") else { panic!() };
        assert_eq!((list.kind, list.resource.as_deref()), (OpKind::GetCollection, Some("BetaGroup")));
        let Lookup::Operation(related, Some("9")) = api.lookup("GET", "/v1/apps/9/builds") else { panic!() };
        assert_eq!((related.kind, related.relationship.as_deref()), (OpKind::GetToManyRelated, Some("builds")));
        assert_eq!(related.resource.as_deref(), Some("Build"));
        let Lookup::Operation(linkage, _) = api.lookup("GET", "/v1/builds/9/relationships/app") else { panic!() };
        assert_eq!(linkage.kind, OpKind::GetToOneRelationship);
        let Lookup::NotAllowed { family, allowed, .. } = api.lookup("DELETE", "/v1/betaGroups") else { panic!() };
        assert_eq!(family, "betaGroups");
        assert!(allowed.contains(&OpKind::Create));
        assert!(matches!(api.lookup("GET", "/v1/nothingHere"), Lookup::Unknown));
        let group = api.schema_of("betaGroups").unwrap();
        let app = group.relationship("app").unwrap();
        assert_eq!((app.to_many, app.target.as_deref()), (false, Some("apps")));
        let builds = group.relationship("builds").unwrap();
        assert_eq!((builds.to_many, builds.target.as_deref()), (true, Some("builds")));
    }
}
