//! Opaque cursors: base64url of the last item's sort value and ID. Clients only pass them back.

use keyward_core::paging::Keyset;
use keyward_token::b64;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

#[derive(Serialize, Deserialize)]
struct Wire {
    v: String,
    i: String,
}

pub(crate) fn encode(k: &Keyset) -> String {
    b64::encode(serde_json::to_vec(&Wire { v: k.value.clone(), i: k.id.clone() }).unwrap_or_default())
}

pub(crate) fn decode(s: &str) -> Result<Keyset, ApiError> {
    b64::decode(s)
        .and_then(|bytes| serde_json::from_slice::<Wire>(&bytes).ok())
        .map(|w| Keyset { value: w.v, id: w.i })
        .ok_or_else(|| ApiError::parameter("cursor", format!("'{s}' is not a valid cursor")))
}
