//! JSON:API request handling as App Store Connect does it: query parameters (each endpoint names
//! the ones it accepts; anything else is a 400 naming it), opaque keyset cursors, and request
//! bodies (`Content-Type`, size, shape, attribute types, with `source.pointer` on every error).

pub(crate) mod body;
pub(crate) mod cursor;
pub(crate) mod params;

use keyward_core::actor::{Actor, ActorContext};
use keyward_core::key::KeyKind;
use keyward_token::verify::Principal;

/// Who acts, for the store's rules and the audit log (K15): an individual key acts as its member,
/// a team key with its own roles.
pub(crate) fn actor(key: &Principal, ip: Option<String>) -> ActorContext {
    let actor = match (key.kind, key.member_id) {
        (KeyKind::Individual, Some(member)) => Actor::Member(member),
        _ => Actor::TeamKey { key_id: key.key_id.clone(), roles: key.roles },
    };
    ActorContext { actor, label: format!("API key {}", key.key_id), ip }
}

pub(crate) use crate::client_ip::ClientIp;
