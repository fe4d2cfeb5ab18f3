//! Apple's App Store Connect API as data (spec section 12, R1).
//!
//! Apple's OpenAPI document 4.4.1 is committed beside this crate (`document/`, gzip, prose removed)
//! and read once at start into an [`Api`]: every operation by method and path template, the query
//! parameters each accepts, the resource schemas with their attributes and relationships, and the
//! request schemas bodies are checked against. Nothing here is written per resource: a family
//! Apple adds to the document is served by replacing the document.
//!
//! Pure like `keyward-core`: no HTTP, no SQL, no runtime. `keyward-server`'s `asc/` serves what
//! this crate describes; `keyward-store` keeps the resources.

mod document;
mod index;
mod operation;
mod params;
mod routes;
mod schema;
mod validate;

pub use document::Document;
pub use index::{Api, Lookup, RelationshipLinks};
pub use operation::{Method, OpKind, Operation, Param};
pub use params::{ParamError, Query, Sort, decode};
pub use routes::Found;
pub use schema::{Attribute, Relationship, ResourceSchema, full_attributes};
pub use validate::Problem;
