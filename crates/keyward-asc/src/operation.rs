//! One operation of Apple's document: its method, path, what it does to which resource family,
//! and the schemas and parameters that come with it.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    pub fn parse(s: &str) -> Option<Method> {
        match s {
            "GET" | "get" | "HEAD" => Some(Method::Get),
            "POST" | "post" => Some(Method::Post),
            "PATCH" | "patch" => Some(Method::Patch),
            "DELETE" | "delete" => Some(Method::Delete),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// What an operation does, read from the suffix of Apple's `operationId`
/// (`betaGroups_builds_getToManyRelated`), which Apple's document spells the same way everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    GetCollection,
    GetInstance,
    Create,
    Update,
    Delete,
    /// `GET /v1/apps/{id}/builds`: the related resources.
    GetToManyRelated,
    GetToOneRelated,
    /// `GET /v1/apps/{id}/relationships/builds`: the linkage only.
    GetToManyRelationship,
    GetToOneRelationship,
    AddToMany,
    ReplaceToMany,
    RemoveToMany,
    UpdateToOne,
    /// `GET /v1/apps/{id}/metrics/…`: figures only Apple has (R7).
    GetMetrics,
}

impl OpKind {
    pub(crate) fn from_operation_id(id: &str) -> Option<OpKind> {
        Some(match id.rsplit('_').next()? {
            "getCollection" => OpKind::GetCollection,
            "getInstance" => OpKind::GetInstance,
            "createInstance" => OpKind::Create,
            "updateInstance" => OpKind::Update,
            "deleteInstance" => OpKind::Delete,
            "getToManyRelated" => OpKind::GetToManyRelated,
            "getToOneRelated" => OpKind::GetToOneRelated,
            "getToManyRelationship" => OpKind::GetToManyRelationship,
            "getToOneRelationship" => OpKind::GetToOneRelationship,
            "createToManyRelationship" => OpKind::AddToMany,
            "replaceToManyRelationship" => OpKind::ReplaceToMany,
            "deleteToManyRelationship" => OpKind::RemoveToMany,
            "updateToOneRelationship" => OpKind::UpdateToOne,
            "getMetrics" => OpKind::GetMetrics,
            _ => return None,
        })
    }

    /// Apple's name of the operation in a 403 "The given operation is not allowed".
    pub fn apple_name(self) -> &'static str {
        match self {
            OpKind::GetCollection => "GET_COLLECTION",
            OpKind::GetInstance => "GET_INSTANCE",
            OpKind::Create => "CREATE",
            OpKind::Update => "UPDATE",
            OpKind::Delete => "DELETE",
            OpKind::GetToManyRelated | OpKind::GetToOneRelated | OpKind::GetMetrics => "GET_RELATED",
            OpKind::GetToManyRelationship | OpKind::GetToOneRelationship => "GET_RELATIONSHIP",
            OpKind::AddToMany => "CREATE_RELATIONSHIP",
            OpKind::ReplaceToMany | OpKind::UpdateToOne => "UPDATE_RELATIONSHIP",
            OpKind::RemoveToMany => "DELETE_RELATIONSHIP",
        }
    }

    /// Lists of resources or linkages, which page with `limit` and `cursor`.
    pub fn is_list(self) -> bool {
        matches!(self, OpKind::GetCollection | OpKind::GetToManyRelated | OpKind::GetToManyRelationship)
    }

    /// Operations that change state.
    pub fn writes(self) -> bool {
        matches!(
            self,
            OpKind::Create
                | OpKind::Update
                | OpKind::Delete
                | OpKind::AddToMany
                | OpKind::ReplaceToMany
                | OpKind::RemoveToMany
                | OpKind::UpdateToOne
        )
    }
}

/// One operation of the document.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Apple's `operationId`.
    pub id: String,
    pub method: Method,
    /// The path template, `/v1/betaGroups/{id}/relationships/builds`.
    pub path: String,
    pub kind: OpKind,
    /// The resource type the path starts with (`betaGroups`), which decides the area (A1).
    pub family: String,
    /// The relationship a related, relationship or metrics path names (`builds`).
    pub relationship: Option<String>,
    /// The schema of the resources the answer carries (`BetaGroup`), when it carries resources.
    pub resource: Option<String>,
    /// The schema of the answer (`BetaGroupsResponse`), to check answers against in tests.
    pub response: Option<String>,
    /// The schema of the request body (`BetaGroupCreateRequest`), when there is one.
    pub request: Option<String>,
    /// The query parameters it accepts.
    pub params: Vec<Param>,
}

/// One query parameter of an operation.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    /// The values it takes, when the document lists them (`sort`, `fields[…]`, `include`, some
    /// filters).
    pub values: Option<Vec<String>>,
    /// `limit` and `limit[…]`: the largest value.
    pub maximum: Option<u64>,
    pub required: bool,
    /// `exists[…]`: `true` or `false`.
    pub boolean: bool,
    /// A list (`filter[x]=a,b`) rather than one value.
    pub list: bool,
}

impl Param {
    pub(crate) fn from_document(p: &Value) -> Option<Param> {
        if p.get("in")?.as_str()? != "query" {
            return None;
        }
        let schema = p.get("schema")?;
        let list = schema.get("type").and_then(Value::as_str) == Some("array");
        let enum_of = |v: &Value| {
            v.get("enum")
                .and_then(Value::as_array)
                .map(|e| e.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
        };
        let values = if list { schema.get("items").and_then(enum_of) } else { enum_of(schema) };
        Some(Param {
            name: p.get("name")?.as_str()?.to_owned(),
            values,
            maximum: schema.get("maximum").and_then(Value::as_u64),
            required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
            boolean: schema.get("type").and_then(Value::as_str) == Some("boolean"),
            list,
        })
    }
}
