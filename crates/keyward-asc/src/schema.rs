//! A resource type as one of Apple's resource schemas describes it: its attributes (with their
//! JSON schemas, for answers and defaults) and its relationships (to one or to many, and of
//! which type).

use serde_json::{Map, Value};

use crate::document::Document;

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: String,
    /// The property's schema: `{"type":"string","enum":[…]}`, `{"type":"string","format":"date-time"}`, …
    pub schema: Value,
}

impl Attribute {
    /// A date-time attribute (`createdDate`, `uploadedDate`): Keyward makes it (R5).
    pub fn is_date_time(&self) -> bool {
        self.schema.get("format").and_then(Value::as_str) == Some("date-time")
    }

    /// The values an enum attribute takes.
    pub fn values(&self) -> Option<Vec<&str>> {
        self.schema.get("enum")?.as_array().map(|v| v.iter().filter_map(Value::as_str).collect())
    }
}

#[derive(Debug, Clone)]
pub struct Relationship {
    pub name: String,
    pub to_many: bool,
    /// The type its linkage names, when the schema or a related path says.
    pub target: Option<String>,
    /// Whether the resource schema carries linkage (`data`) for it, or links only.
    pub linkage: bool,
}

/// One resource schema (`BetaGroup`).
#[derive(Debug, Clone)]
pub struct ResourceSchema {
    /// The schema's name in the document.
    pub name: String,
    /// The resource type (`betaGroups`).
    pub kind: String,
    pub attributes: Vec<Attribute>,
    pub relationships: Vec<Relationship>,
}

/// The type a linkage schema (`{"type":{"enum":["apps"]},"id":…}`) names.
pub(crate) fn linkage_type(linkage: &Value) -> Option<String> {
    linkage.pointer("/properties/type/enum/0").and_then(Value::as_str).map(str::to_owned)
}

impl ResourceSchema {
    /// `schema` when it is a resource schema (`type` with one value, `id`), else `None`.
    pub(crate) fn read(doc: &Document, name: &str, schema: &Value) -> Option<ResourceSchema> {
        let props = schema.get("properties")?.as_object()?;
        props.get("id")?;
        let kind = props.get("type")?.pointer("/enum/0")?.as_str()?.to_owned();
        let attributes = props
            .get("attributes")
            .map(|a| doc.resolve(a))
            .and_then(|a| a.get("properties"))
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(n, s)| Attribute { name: n.clone(), schema: doc.resolve(s).clone() }).collect())
            .unwrap_or_default();
        let relationships = props
            .get("relationships")
            .and_then(|r| r.get("properties"))
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(n, r)| relationship(n, r)).collect())
            .unwrap_or_default();
        Some(ResourceSchema { name: name.to_owned(), kind, attributes, relationships })
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn relationship(&self, name: &str) -> Option<&Relationship> {
        self.relationships.iter().find(|r| r.name == name)
    }

    /// The names a `fields[type]` may list: attributes and relationships.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.attributes.iter().map(|a| a.name.as_str()).chain(self.relationships.iter().map(|r| r.name.as_str()))
    }
}

fn relationship(name: &str, schema: &Value) -> Relationship {
    let data = schema.pointer("/properties/data");
    let to_many = match data.and_then(|d| d.get("type")).and_then(Value::as_str) {
        Some("array") => true,
        Some(_) => false,
        // Links only: a `meta` with paging means a list.
        None => schema.pointer("/properties/meta").is_some(),
    };
    let target = data.and_then(|d| if to_many { d.get("items").and_then(linkage_type) } else { linkage_type(d) });
    Relationship { name: name.to_owned(), to_many, target, linkage: data.is_some() }
}

/// An object's attributes with every attribute of `schema` present (`null` when unset), as
/// Apple's answers carry them; a `fields` list keeps only those named.
pub fn full_attributes(
    schema: &ResourceSchema,
    stored: &Map<String, Value>,
    fields: Option<&[String]>,
) -> Map<String, Value> {
    let wanted = |name: &str| fields.is_none_or(|f| f.iter().any(|n| n == name));
    let mut out: Map<String, Value> = schema
        .attributes
        .iter()
        .filter(|a| wanted(&a.name))
        .map(|a| (a.name.clone(), stored.get(&a.name).cloned().unwrap_or(Value::Null)))
        .collect();
    for (_, name) in UNDOCUMENTED.iter().filter(|(kind, name)| *kind == schema.kind && wanted(name)) {
        out.insert((*name).to_owned(), Value::Null);
    }
    out
}

/// Attributes Apple's live servers still send, always `null`, that its document no longer lists
/// and that real clients require: codemagic-cli-tools builds a certificate from its `csrContent`.
const UNDOCUMENTED: [(&str, &str); 1] = [("certificates", "csrContent")];

/// The states a new resource starts in, in the order they are preferred when a state attribute's
/// enum lists several: what App Store Connect shows for something just made (R5).
const INITIAL_STATES: [&str; 10] = [
    "PREPARE_FOR_SUBMISSION",
    "PROCESSING",
    "READY_FOR_SUBMISSION",
    "NOT_SUBMITTED",
    "DRAFT",
    "CREATED",
    "MISSING_METADATA",
    "WAITING_FOR_UPLOAD",
    "PENDING",
    "ENABLED",
];

impl Attribute {
    /// The value Keyward gives this attribute when the creating request did not (R5): the time of
    /// creation for dates (`createdDate`, `uploadedDate`, …), the initial state for states, and
    /// `false` for flags, as Apple's servers answer them (clients' models take them as booleans).
    pub fn initial_value(&self, now: &str) -> Option<Value> {
        if self.schema.get("type").and_then(Value::as_str) == Some("boolean") {
            return Some(Value::Bool(false));
        }
        if self.is_date_time()
            && (self.name.starts_with("created") || self.name.ends_with("Date") && self.name.contains("upload"))
        {
            return Some(Value::String(now.to_owned()));
        }
        let state_like = self.name == "state" || self.name.ends_with("State") || self.name.ends_with("Status");
        let values = self.values()?;
        state_like
            .then(|| INITIAL_STATES.iter().find(|s| values.contains(s)).map(|s| Value::String((*s).to_owned())))?
    }
}
