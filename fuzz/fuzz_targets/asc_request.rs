//! Apple's whole API as the engine reads a request (spec section 12): any method and path against
//! the index of Apple's document, any query against the operation found, any body against its
//! request schema. None may panic or hang; a path that finds an operation finds it again.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(api) = keyward_asc::Api::shared() else { return };
    // method \n path?query \n body
    let mut parts = text.splitn(3, '\n');
    let (method, target, body) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (path, query) = target.split_once('?').map_or((target, None), |(p, q)| (p, Some(q)));
    if let keyward_asc::Lookup::Operation(op, id) = api.lookup(method, path) {
        let again = api.lookup(method, path);
        assert!(matches!(again, keyward_asc::Lookup::Operation(o, i) if o.id == op.id && i == id));
        let _ = keyward_asc::Query::parse(op, query);
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(body) {
            let _ = api.check_body(op, &value);
            if let Some(kind) = op.resource.as_deref().and_then(|r| api.schema(r)).map(|s| s.kind.clone())
                && let Some(attributes) = value.get("attributes").and_then(|a| a.as_object())
            {
                let _ = api.check_seeded(&kind, attributes, &[]);
            }
        }
    }
});
