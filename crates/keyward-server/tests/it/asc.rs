//! Apple's whole API (spec section 12) over real HTTP, on SQLite and PostgreSQL: every GET of
//! Apple's document answers as a route it knows, answers validate against Apple's own schemas,
//! resources are written, read back, related, changed and deleted; A4 and teams hold; concurrent
//! writes to one resource lose nothing.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_asc::{Api, Method as AscMethod, OpKind};
use reqwest::Method;
use serde_json::{Value, json};

/// Apple's schema omits `nullable` although its answers carry explicit nulls (spec section 7):
/// null attributes are left out before validating, as the section-7 suite does.
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, x)| {
                    let x = match (k.as_str(), x) {
                        ("attributes", Value::Object(a)) => Value::Object(
                            a.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())).collect(),
                        ),
                        _ => without_nulls(x),
                    };
                    (k.clone(), x)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// Apple's schemas, without the `"format": null` a few carry (not a JSON Schema a validator takes).
fn components(api: &Api) -> &'static Value {
    static CLEAN: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    fn clean(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                Value::Object(m.iter().filter(|(_, x)| !x.is_null()).map(|(k, x)| (k.clone(), clean(x))).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(clean).collect()),
            other => other.clone(),
        }
    }
    CLEAN.get_or_init(|| clean(&api.document().root()["components"]))
}

/// The body against the operation's response schema in Apple's document; the errors found.
fn invalid_against(api: &Api, schema_name: &str, body: &Value) -> Vec<String> {
    let schema = json!({ "$ref": format!("#/components/schemas/{schema_name}"), "components": components(api) });
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator.iter_errors(&without_nulls(body)).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

server_test!(r1_every_get_of_apples_document_answers_as_a_known_route, |srv: Server| async move {
    let api = Api::shared().unwrap();
    let team = srv.team("Acme").await;
    let app = srv.app(&team, "Fizz").await;
    let admin = srv.team_key(&team, "ADMIN").await;
    let (mut gets, mut lists) = (0, 0);
    for op in api.operations().iter().filter(|o| o.method == AscMethod::Get) {
        let id = if op.family == "apps" { app.to_string() } else { "no-such-id".to_owned() };
        let path = op.path.replace("{id}", &id);
        let required: Vec<String> = op
            .params
            .iter()
            .filter(|p| p.required)
            .map(|p| format!("{}={}", p.name, p.values.as_ref().and_then(|v| v.first()).map_or("x", String::as_str)))
            .collect();
        let url = if required.is_empty() { path.clone() } else { format!("{path}?{}", required.join("&")) };
        let (status, _, body) = parts(srv.get(&url, &admin.token()).await).await;
        gets += 1;
        assert_ne!(code(&body), "PATH_ERROR", "GET {} is Apple's, answered {status} {body}", op.path);
        assert_ne!(status, 500, "GET {url}: {body}");
        if op.kind == OpKind::GetCollection && !op.params.iter().any(|p| p.required) {
            assert_eq!(status, 200, "GET {url}: {body}");
            assert!(body["data"].is_array() && body["meta"]["paging"]["total"].is_u64(), "GET {url}: {body}");
            let errors = invalid_against(api, op.response.as_deref().unwrap(), &body);
            assert!(errors.is_empty(), "GET {url} does not validate: {errors:?}\n{body}");
            lists += 1;
        }
        if op.kind == OpKind::GetInstance && op.family != "apps" {
            assert_eq!((status, code(&body)), (404, "NOT_FOUND"), "GET {url}: {body}");
            let kind = api.schema(op.resource.as_deref().unwrap()).unwrap().kind.clone();
            assert!(body["errors"][0]["detail"].as_str().unwrap().contains(&format!("'{kind}'")), "{body}");
        }
    }
    assert_eq!(gets, 797);
    let listable =
        api.operations().iter().filter(|o| o.kind == OpKind::GetCollection && !o.params.iter().any(|p| p.required));
    assert_eq!(lists, listable.count());
    assert!(lists > 30, "{lists} collections listed");
});

/// Team Acme with its app Fizz (the ID, as the API writes it) and an ADMIN team key.
async fn acme(srv: &Server) -> (keyward_core::ports::TeamCreated, String, Key) {
    let team = srv.team("Acme").await;
    let app = srv.app(&team, "Fizz").await.to_string();
    let admin = srv.team_key(&team, "ADMIN").await;
    (team, app, admin)
}

/// A beta group of `app`, made through the API.
async fn beta_group(srv: &Server, token: &str, app: &str, name: &str) -> (u16, Value) {
    let body = json!({"data": {"type": "betaGroups", "attributes": {"name": name},
        "relationships": {"app": {"data": {"type": "apps", "id": app}}}}});
    srv.json(Method::POST, "/v1/betaGroups", token, body).await
}

server_test!(r4_a_resource_is_created_read_related_changed_and_deleted, |srv: Server| async move {
    let api = Api::shared().unwrap();
    let (_, app, admin) = acme(&srv).await;
    let token = admin.token();
    let (status, created) = beta_group(&srv, &token, &app, "QA").await;
    assert_eq!(status, 201, "{created}");
    assert!(invalid_against(api, "BetaGroupResponse", &created).is_empty(), "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "R5: a UUID");
    assert!(created["data"]["attributes"]["createdDate"].as_str().unwrap().ends_with("+00:00"), "{created}");
    assert_eq!(created["data"]["attributes"]["publicLink"], Value::Null, "unset attributes are null");
    let own = created["data"]["links"]["self"].as_str().unwrap().to_owned();
    assert!(own.ends_with(&format!("/v1/betaGroups/{id}")));

    let (status, _, read) = parts(srv.get(&format!("/v1/betaGroups/{id}"), &token).await).await;
    assert_eq!((status, &read["data"]), (200, &created["data"]));
    let (_, _, list) = parts(srv.get("/v1/betaGroups?filter[name]=QA&fields[betaGroups]=name", &token).await).await;
    assert_eq!(list["meta"]["paging"]["total"], 1, "{list}");
    assert_eq!(list["data"][0]["attributes"], json!({"name": "QA"}), "sparse fieldsets");
    let (_, _, none) = parts(srv.get("/v1/betaGroups?filter[name]=Other", &token).await).await;
    assert_eq!(none["meta"]["paging"]["total"], 0);

    // The app's related path, the group's linkage and its related app agree.
    let (_, _, related) = parts(srv.get(&format!("/v1/apps/{app}/betaGroups"), &token).await).await;
    assert_eq!(related["data"][0]["id"], id.as_str(), "{related}");
    let (_, _, linkage) = parts(srv.get(&format!("/v1/betaGroups/{id}/relationships/app"), &token).await).await;
    assert_eq!(linkage["data"], json!({"type": "apps", "id": app}));
    let (_, _, owner) = parts(srv.get(&format!("/v1/betaGroups/{id}/app"), &token).await).await;
    assert_eq!(owner["data"]["id"], app.as_str(), "{owner}");

    let patch =
        json!({"data": {"type": "betaGroups", "id": id, "attributes": {"name": "QA 2", "publicLinkEnabled": true}}});
    let (status, patched) = srv.json(Method::PATCH, &format!("/v1/betaGroups/{id}"), &token, patch).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["data"]["attributes"]["name"], "QA 2");
    assert_eq!(patched["data"]["attributes"]["createdDate"], created["data"]["attributes"]["createdDate"]);

    let (status, _, deleted) =
        parts(srv.request(Method::DELETE, &format!("/v1/betaGroups/{id}"), Some(&token)).await).await;
    assert_eq!(status, 204, "{deleted}");
    let (status, _, gone) = parts(srv.get(&format!("/v1/betaGroups/{id}"), &token).await).await;
    assert_eq!((status, code(&gone)), (404, "NOT_FOUND"));
});

server_test!(r4_bad_bodies_and_parameters_are_apples_errors_and_write_nothing, |srv: Server| async move {
    let (_, app, admin) = acme(&srv).await;
    let token = admin.token();
    let cases = [
        (
            json!({"data": {"type": "betaGroups", "attributes": {}, "relationships": {"app": {"data": {"type": "apps", "id": app}}}}}),
            "/data/attributes/name",
        ),
        (
            json!({"data": {"type": "betaGroups", "attributes": {"name": 7}, "relationships": {"app": {"data": {"type": "apps", "id": app}}}}}),
            "/data/attributes/name",
        ),
        (
            json!({"data": {"type": "betaGroups", "attributes": {"name": "X"}, "relationships": {"app": {"data": {"type": "apps", "id": "999"}}}}}),
            "/data/relationships/app/data",
        ),
        (
            json!({"data": {"type": "betaGroups", "attributes": {"name": "X", "isInternalGroup": "yes"}, "relationships": {"app": {"data": {"type": "apps", "id": app}}}}}),
            "/data/attributes/isInternalGroup",
        ),
    ];
    for (body, pointer) in cases {
        let (status, answer) = srv.json(Method::POST, "/v1/betaGroups", &token, body.clone()).await;
        assert_eq!(status, 409, "{body}: {answer}");
        assert_eq!(answer["errors"][0]["source"]["pointer"], pointer, "{answer}");
    }
    let (status, _, answer) = parts(srv.get("/v1/betaGroups?filter[colour]=red", &token).await).await;
    assert_eq!((status, answer["errors"][0]["source"]["parameter"].as_str()), (400, Some("filter[colour]")));
    let (status, _, answer) = parts(srv.get("/v1/betaGroups?limit=201", &token).await).await;
    assert_eq!(status, 400, "{answer}");
    let (status, _, answer) = parts(srv.request(Method::DELETE, "/v1/betaGroups", Some(&token)).await).await;
    assert_eq!((status, code(&answer)), (403, "FORBIDDEN_ERROR"), "{answer}");
    let (_, _, list) = parts(srv.get("/v1/betaGroups", &token).await).await;
    assert_eq!(list["meta"]["paging"]["total"], 0, "nothing was written");
});

server_test!(a4_individual_keys_and_other_teams_see_only_what_is_theirs, |srv: Server| async move {
    let team = srv.team("Acme").await;
    let seen = srv.app(&team, "Seen").await;
    let hidden = srv.app(&team, "Hidden").await.to_string();
    let admin = srv.team_key(&team, "ADMIN").await;
    let (_, group) = beta_group(&srv, &admin.token(), &hidden, "Secret").await;
    let group = group["data"]["id"].as_str().unwrap().to_owned();
    let dev = srv.individual_key(&team, "dev@acme.test", "APP_MANAGER", Some(vec![seen])).await;
    let (_, _, list) = parts(srv.get("/v1/betaGroups", &dev.token()).await).await;
    assert_eq!(list["meta"]["paging"]["total"], 0, "a hidden app's groups are not listed: {list}");
    let (status, _, _) = parts(srv.get(&format!("/v1/betaGroups/{group}"), &dev.token()).await).await;
    assert_eq!(status, 404);
    let (status, answer) = beta_group(&srv, &dev.token(), &hidden, "Mine").await;
    assert_eq!(status, 409, "cannot create under an app it does not see: {answer}");
    let (status, _) = beta_group(&srv, &dev.token(), &seen.to_string(), "Mine").await;
    assert_eq!(status, 201);

    let other = srv.team("Other").await;
    let intruder = srv.team_key(&other, "ADMIN").await;
    let (status, _, answer) = parts(srv.get(&format!("/v1/betaGroups/{group}"), &intruder.token()).await).await;
    assert_eq!((status, code(&answer)), (404, "NOT_FOUND"), "another team's resource does not exist");
    let (_, _, list) = parts(srv.get("/v1/betaGroups", &intruder.token()).await).await;
    assert_eq!(list["meta"]["paging"]["total"], 0);
    let patch = json!({"data": {"type": "betaGroups", "id": group, "attributes": {"name": "Mine now"}}});
    let (status, _) = srv.json(Method::PATCH, &format!("/v1/betaGroups/{group}"), &intruder.token(), patch).await;
    assert_eq!(status, 404);
});

server_test!(r4_concurrent_writes_to_one_resource_lose_nothing, |srv: Server| async move {
    let (_, app, admin) = acme(&srv).await;
    let token = admin.token();
    let (_, group) = beta_group(&srv, &token, &app, "QA").await;
    let group = group["data"]["id"].as_str().unwrap().to_owned();
    let testers: Vec<String> = {
        let mut ids = Vec::new();
        for i in 0..8 {
            let body = json!({"data": {"type": "betaTesters", "attributes": {"email": format!("t{i}@x.test")},
                "relationships": {"betaGroups": {"data": []}}}});
            let (status, tester) = srv.json(Method::POST, "/v1/betaTesters", &token, body).await;
            assert_eq!(status, 201, "{tester}");
            ids.push(tester["data"]["id"].as_str().unwrap().to_owned());
        }
        ids
    };
    let path = format!("/v1/betaGroups/{group}/relationships/betaTesters");
    let adds = testers.iter().map(|t| {
        let body = json!({"data": [{"type": "betaTesters", "id": t}]});
        srv.json(Method::POST, &path, &token, body)
    });
    for (status, body) in futures::future::join_all(adds).await {
        assert_eq!(status, 204, "{body}");
    }
    let (_, _, linkage) = parts(srv.get(&format!("{path}?limit=50"), &token).await).await;
    assert_eq!(linkage["data"].as_array().unwrap().len(), 8, "every concurrent add is kept: {linkage}");
});

server_test!(r3_include_carries_linkage_and_the_included_resources_once, |srv: Server| async move {
    let api = Api::shared().unwrap();
    let (_, app, admin) = acme(&srv).await;
    let token = admin.token();
    let mut groups = Vec::new();
    for name in ["QA", "Beta"] {
        let (_, group) = beta_group(&srv, &token, &app, name).await;
        groups.push(group["data"]["id"].as_str().unwrap().to_owned());
    }
    let body = json!({"data": {"type": "betaTesters", "attributes": {"email": "t@x.test"},
        "relationships": {"betaGroups": {"data": [{"type": "betaGroups", "id": groups[0]}]}}}});
    let (status, tester) = srv.json(Method::POST, "/v1/betaTesters", &token, body).await;
    assert_eq!(status, 201, "{tester}");
    let tester = tester["data"]["id"].as_str().unwrap().to_owned();

    let (status, _, list) = parts(srv.get("/v1/betaGroups?include=app,betaTesters&sort=name", &token).await).await;
    assert_eq!(status, 200, "{list}");
    assert!(invalid_against(api, "BetaGroupsResponse", &list).is_empty(), "{list}");
    let qa = list["data"].as_array().unwrap().iter().find(|g| g["id"] == groups[0].as_str()).unwrap();
    assert_eq!(qa["relationships"]["app"]["data"], json!({"type": "apps", "id": app}));
    assert_eq!(qa["relationships"]["betaTesters"]["data"], json!([{"type": "betaTesters", "id": tester}]));
    assert_eq!(qa["relationships"]["betaTesters"]["meta"]["paging"]["total"], 1);
    assert!(qa["relationships"]["app"]["links"]["related"].is_string(), "links stay beside the linkage");
    let included = list["included"].as_array().unwrap();
    let kinds: Vec<&str> = included.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "apps").count(), 1, "the app once, for both groups: {kinds:?}");
    assert!(kinds.contains(&"betaTesters"));

    // The linkage is what the relationship's own path answers.
    let (_, _, linkage) =
        parts(srv.get(&format!("/v1/betaGroups/{}/relationships/betaTesters", groups[0]), &token).await).await;
    assert_eq!(linkage["data"], qa["relationships"]["betaTesters"]["data"]);

    let (_, _, one) = parts(srv.get(&format!("/v1/betaGroups/{}?include=app", groups[1]), &token).await).await;
    assert_eq!(one["included"][0]["id"], app.as_str(), "{one}");
    assert!(invalid_against(api, "BetaGroupResponse", &one).is_empty(), "{one}");
    let (status, _, refused) = parts(srv.get("/v1/betaGroups?include=nothing", &token).await).await;
    assert_eq!((status, refused["errors"][0]["source"]["parameter"].as_str()), (400, Some("include")));
});

/// A value its schema takes: the first of an enum, a short string, 1, false; objects with their
/// required members, arrays of one. `$ref`s and `oneOf`s are followed (the first form).
fn sample(api: &Api, schema: &Value, depth: usize) -> Value {
    let doc = api.document();
    let schema = doc.resolve(schema);
    if let Some(first) = schema.get("oneOf").and_then(|o| o.get(0)) {
        return sample(api, first, depth + 1);
    }
    if let Some(first) = schema.get("enum").and_then(|e| e.get(0)) {
        return first.clone();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => json!("2026-12-01T10:00:00+00:00"),
            Some("date") => json!("2026-12-01"),
            Some("uri") | Some("uri-reference") => json!("https://example.com/x"),
            Some("email") => json!("someone@example.com"),
            _ => json!("Sample"),
        },
        Some("integer") => json!(1),
        Some("number") => json!(1.5),
        Some("boolean") => json!(false),
        Some("array") if depth < 12 => schema.get("items").map_or(json!([]), |i| json!([sample(api, i, depth + 1)])),
        Some("array") => json!([]),
        _ if depth > 12 => json!({}),
        _ => {
            let mut out = serde_json::Map::new();
            let props = schema.get("properties").and_then(Value::as_object);
            for name in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str)
            {
                if let Some(p) = props.and_then(|p| p.get(name)) {
                    out.insert(name.to_owned(), sample(api, p, depth + 1));
                }
            }
            Value::Object(out)
        }
    }
}

/// A resource of `kind` for a create to link to: made through the store (some types have no
/// create operation: builds arrive by upload), linked to `app` when its type belongs to an app.
async fn stand_in(srv: &Server, api: &Api, team: keyward_core::ids::TeamId, app: &str, kind: &str) -> String {
    use keyward_core::ports::ResourceStore;
    use keyward_core::resource::{Link, Resource};
    let id = format!("stand-in-{kind}");
    let mut relationships = std::collections::BTreeMap::new();
    if api.relationship(kind, "app").is_some_and(|r| r.target.as_deref() == Some("apps")) {
        relationships.insert("app".to_owned(), vec![Link { kind: "apps".into(), id: app.to_owned() }]);
    }
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    // The states the walk's creates need their stand-ins in (spec F3).
    let attributes = match kind {
        "appStoreVersions" => json!({"appStoreState": "PENDING_DEVELOPER_RELEASE", "releaseType": "MANUAL"}),
        "reviewSubmissions" => json!({"state": "READY_FOR_REVIEW"}),
        "builds" => json!({"processingState": "VALID"}),
        _ => json!({}),
    };
    let resource = Resource {
        team_id: team,
        kind: kind.to_owned(),
        id: id.clone(),
        app: Some(keyward_core::ids::AppId(app.parse().unwrap())),
        attributes: attributes.as_object().cloned().unwrap_or_default(),
        relationships,
        created_at: now,
        updated_at: now,
    };
    srv.store().create_resource(resource, Default::default()).await.unwrap();
    if kind == "builds" {
        // A processed build has its beta detail (spec F2).
        let detail = Resource {
            team_id: team,
            kind: "buildBetaDetails".into(),
            id: "stand-in-detail".into(),
            app: None,
            attributes: keyward_core::testflight::new_detail(),
            relationships: [("build".to_owned(), vec![Link { kind: "builds".into(), id: id.clone() }])]
                .into_iter()
                .collect(),
            created_at: now,
            updated_at: now,
        };
        srv.store().create_resource(detail, Default::default()).await.unwrap();
    }
    srv.sync().await;
    id
}

server_test!(r4_every_create_of_the_document_takes_a_body_made_from_its_schema, |srv: Server| async move {
    let api = Api::shared().unwrap();
    let (team, app, admin) = acme(&srv).await;
    let token = admin.token();
    let mut stand_ins: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut failures = Vec::new();
    let mut created = 0;
    // What Apple's servers check (spec section 13) needs real values: profiles link to a signing
    // set made through the API, files to an upload awaiting them, and CSRs and UDIDs are real.
    let app_link = json!({"app": {"data": {"type": "apps", "id": app}}});
    for (kind, attributes, relationships) in [
        ("bundleIds", json!({"identifier": "com.walk.stand-in", "name": "Walk", "platform": "IOS"}), json!(null)),
        ("certificates", json!({"csrContent": rsa_csr(), "certificateType": "IOS_DEVELOPMENT"}), json!(null)),
        ("devices", json!({"name": "Walk", "udid": "00008030-00000000000000AA", "platform": "IOS"}), json!(null)),
        (
            "buildUploads",
            json!({"cfBundleShortVersionString": "9.9", "cfBundleVersion": "999", "platform": "IOS"}),
            app_link,
        ),
    ] {
        let mut body = json!({"data": {"type": kind, "attributes": attributes}});
        if !relationships.is_null() {
            body["data"]["relationships"] = relationships;
        }
        let (status, made) = srv.json(Method::POST, &format!("/v1/{kind}"), &token, body).await;
        assert_eq!(status, 201, "{made}");
        stand_ins.insert(kind.to_owned(), made["data"]["id"].as_str().unwrap().to_owned());
    }
    // A delivery to repeat (spec F5): a webhook's ping, to a receiver nobody runs.
    let hook = json!({"data": {"type": "webhooks", "attributes": {"enabled": true, "name": "Walk",
        "secret": "walk-secret", "url": "https://example.com/hook", "eventTypes": ["BUILD_UPLOAD_STATE_UPDATED"]},
        "relationships": {"app": {"data": {"type": "apps", "id": app}}}}});
    let (_, hook) = srv.json(Method::POST, "/v1/webhooks", &token, hook).await;
    let hook = hook["data"]["id"].as_str().unwrap().to_owned();
    let ping = json!({"data": {"type": "webhookPings", "relationships": {"webhook": {"data": {"type": "webhooks", "id": hook}}}}});
    assert_eq!(srv.json(Method::POST, "/v1/webhookPings", &token, ping).await.0, 201);
    let (_, _, deliveries) = parts(srv.get(&format!("/v1/webhooks/{hook}/deliveries"), &token).await).await;
    stand_ins.insert("webhookDeliveries".into(), deliveries["data"][0]["id"].as_str().unwrap().to_owned());
    for op in api.operations().iter().filter(|o| o.kind == OpKind::Create) {
        let request = json!({ "$ref": format!("#/components/schemas/{}", op.request.as_deref().unwrap()) });
        let mut body = sample(api, &request, 0);
        match op.family.as_str() {
            "certificates" => body["data"]["attributes"]["csrContent"] = json!(rsa_csr()),
            "devices" => body["data"]["attributes"]["udid"] = json!("00008030-00000000000000BB"),
            "webhooks" => body["data"]["attributes"]["secret"] = json!("a-sample-secret"),
            "profiles" => {
                body["data"]["relationships"]["devices"] = json!({"data": [{"type": "devices", "id": "x"}]});
            }
            _ => {}
        }
        // Required links point at resources of the team.
        if let Some(relationships) = body.pointer_mut("/data/relationships").and_then(Value::as_object_mut) {
            for (_, rel) in relationships.iter_mut() {
                let linkages: Vec<&mut Value> = match rel.get_mut("data") {
                    Some(Value::Array(items)) => items.iter_mut().collect(),
                    Some(one @ Value::Object(_)) => vec![one],
                    _ => Vec::new(),
                };
                for linkage in linkages {
                    let Some(kind) = linkage["type"].as_str().map(str::to_owned) else { continue };
                    let id = match kind.as_str() {
                        "apps" => app.clone(),
                        _ => match stand_ins.get(&kind) {
                            Some(id) => id.clone(),
                            None => {
                                let id = stand_in(&srv, api, team.team.id, &app, &kind).await;
                                stand_ins.insert(kind.clone(), id.clone());
                                id
                            }
                        },
                    };
                    linkage["id"] = json!(id);
                }
            }
        }
        let (status, answer) = srv.json(Method::POST, &op.path, &token, body.clone()).await;
        if status != 201 {
            failures.push(format!("POST {} ({status}): {body} -> {answer}", op.path));
            continue;
        }
        if let Some(response) = &op.response {
            let errors = invalid_against(api, response, &answer);
            if !errors.is_empty() {
                failures.push(format!("POST {} answers outside {response}: {errors:?}", op.path));
            }
        }
        let own = answer["data"]["links"]["self"].as_str().unwrap_or_default();
        let path = own.split_once("://").and_then(|(_, rest)| rest.split_once('/')).map(|(_, p)| format!("/{p}"));
        let Some(path) = path else {
            failures.push(format!("POST {}: no links.self in {answer}", op.path));
            continue;
        };
        let kind = answer["data"]["type"].as_str().unwrap_or_default().to_owned();
        let id = answer["data"]["id"].as_str().unwrap_or_default().to_owned();
        if api.serves(AscMethod::Get, &path) {
            let (status, _, read) = parts(srv.get(&path, &token).await).await;
            if status != 200 || read["data"]["id"] != id.as_str() {
                failures.push(format!("GET {path} after POST {}: {status} {read}", op.path));
            }
        }
        if api.serves(AscMethod::Patch, &path) {
            let patch = json!({"data": {"type": kind, "id": id}});
            let (status, read) = srv.json(Method::PATCH, &path, &token, patch).await;
            if status != 200 {
                failures.push(format!("PATCH {path}: {status} {read}"));
            }
        }
        if api.serves(AscMethod::Delete, &path) {
            let (status, _, gone) = parts(srv.request(Method::DELETE, &path, Some(&token)).await).await;
            if status != 204 {
                failures.push(format!("DELETE {path}: {status} {gone}"));
            }
        }
        created += 1;
    }
    assert!(
        failures.is_empty(),
        "{} of {} creates failed:\n{}",
        failures.len(),
        created + failures.len(),
        failures.join("\n")
    );
    assert!(created >= 150, "{created} creates");
});

/// Every resource of the team as the API lists them: type and ID, for a before and after.
async fn all_resources(srv: &Server) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> =
        srv.state.replica.resources().all().iter().map(|r| (r.kind.clone(), r.id.clone())).collect();
    all.sort();
    all
}

server_test!(r4_garbled_requests_are_apples_errors_and_a_refused_one_writes_nothing, |srv: Server| async move {
    let api = Api::shared().unwrap();
    let (_, app, admin) = acme(&srv).await;
    let token = admin.token();
    let (_, group) = beta_group(&srv, &token, &app, "QA").await;
    let group = group["data"]["id"].as_str().unwrap().to_owned();
    // A small deterministic generator: the same requests on every run, so a failure reproduces.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(state >> 33).unwrap() % n.max(1)
    };
    let ids = [app.as_str(), group.as_str(), "", "%2e%2e", "x".repeat(300).leak(), "0", "-1", "🙂"];
    let queries = [
        "",
        "limit=0",
        "limit=abc",
        "filter[name]=",
        "sort=-nope",
        "include=app,app",
        "fields[betaGroups]=",
        "cursor=!!",
        "exists[app]=maybe",
        "a=b&a=b",
        "%ZZ=1",
    ];
    let bodies = [
        "",
        "{",
        "[]",
        "null",
        r#"{"data":null}"#,
        r#"{"data":{"type":"betaGroups"}}"#,
        r#"{"data":{"type":"betaGroups","id":"x","attributes":{"name":7}}}"#,
        r#"{"data":[{"type":"builds","id":"nope"}]}"#,
    ];
    let methods = [Method::GET, Method::POST, Method::PATCH, Method::DELETE];
    let ops = api.operations();
    for round in 0..600 {
        let op = &ops[next(ops.len())];
        let path = op.path.replace("{id}", ids[next(ids.len())]);
        let query = queries[next(queries.len())];
        let url = if query.is_empty() { path.clone() } else { format!("{path}?{query}") };
        let method = methods[next(methods.len())].clone();
        let body = bodies[next(bodies.len())];
        let before = all_resources(&srv).await;
        let response = srv
            .send(method.clone(), &url, &token, (!body.is_empty()).then(|| ("application/json", body.to_owned())))
            .await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_ne!(status, 500, "round {round}: {method} {url} {body} -> {text}");
        if status >= 400 {
            let parsed: Value =
                serde_json::from_str(&text).unwrap_or_else(|_| panic!("round {round}: not Apple's body: {text}"));
            assert!(parsed["errors"][0]["code"].is_string(), "round {round}: {text}");
            assert_eq!(
                all_resources(&srv).await,
                before,
                "round {round}: {method} {url} was refused ({status}) but wrote"
            );
        }
    }
});

server_test!(
    a1_a4_what_a_path_draws_answers_to_its_own_area_and_filters_tell_nothing_hidden,
    |srv: Server| async move {
        let team = srv.team("Acme").await;
        let seen = srv.app(&team, "Seen").await.to_string();
        let hidden = srv.app(&team, "Hidden").await.to_string();
        let admin = srv.team_key(&team, "ADMIN").await;
        let developer = srv.team_key(&team, "DEVELOPER").await;
        // A related path under /v1/apps draws another family's data: its area decides, not the app's.
        for path in [format!("/v1/apps/{seen}/customerReviews"), format!("/v1/apps/{seen}/inAppPurchasesV2")] {
            let (status, _, body) = parts(srv.get(&path, &developer.token()).await).await;
            assert_eq!((status, code(&body)), (403, "FORBIDDEN_ERROR"), "{path}: {body}");
            assert_eq!(srv.get(&path, &admin.token()).await.status().as_u16(), 200, "{path}");
        }
        // A trailing slash is another path, never a way around section 7's routes.
        let invite = json!({"data": {"type": "userInvitations", "attributes": {"email": "x@acme.test", "firstName": "X", "lastName": "Y", "roles": ["ADMIN"]}}});
        let (status, body) = srv.json(Method::POST, "/v1/userInvitations/", &admin.token(), invite).await;
        assert_eq!((status, code(&body)), (404, "PATH_ERROR"), "{body}");
        let (status, _, body) = parts(srv.get("/v1/apps/", &admin.token()).await).await;
        assert_eq!((status, code(&body)), (404, "PATH_ERROR"), "{body}");
        // A4: a group of a seen app linked to a build of a hidden app (the API refuses such a link,
        // F2; a seed may still make one); filters and exists see only what the key sees.
        let build = stand_in(&srv, Api::shared().unwrap(), team.team.id, &hidden, "builds").await;
        let (_, group) = beta_group(&srv, &admin.token(), &seen, "Mixed").await;
        let group = group["data"]["id"].as_str().unwrap().to_owned();
        let link = json!({"data": [{"type": "builds", "id": build}]});
        let path = format!("/v1/betaGroups/{group}/relationships/builds");
        let (status, answer) = srv.json(Method::POST, &path, &admin.token(), link).await;
        assert_eq!(status, 409, "{answer}");
        {
            use keyward_core::ports::ResourceStore;
            use keyward_core::resource::{Link, LinkChange, ResourceUpdate};
            let mut update = ResourceUpdate::default();
            let to = Link { kind: "builds".into(), id: build.clone() };
            update.relationships.insert("builds".into(), LinkChange::Add(vec![to]));
            srv.store().update_resource(team.team.id, "betaGroups", &group, update, Default::default()).await.unwrap();
            srv.sync().await;
        }
        let limited =
            srv.individual_key(&team, "dev@acme.test", "APP_MANAGER", Some(vec![seen.parse().unwrap()])).await;
        let total =
            |body: &Value| body["meta"]["paging"]["total"].as_u64().unwrap_or_else(|| panic!("not a list: {body}"));
        let by_admin = parts(srv.get(&format!("/v1/betaGroups?filter[builds]={build}"), &admin.token()).await).await;
        assert_eq!(total(&by_admin.2), 1);
        let by_limited =
            parts(srv.get(&format!("/v1/betaGroups?filter[builds]={build}"), &limited.token()).await).await;
        assert_eq!(total(&by_limited.2), 0, "a hidden build's ID finds nothing: {}", by_limited.2);
        let visible = parts(srv.get("/v1/betaGroups", &limited.token()).await).await;
        assert_eq!(total(&visible.2), 1, "the group itself is the key's to see");
    }
);

server_test!(r3_a_relationships_list_of_apps_pages_with_links_next, |srv: Server| async move {
    use keyward_core::ports::ResourceStore;
    use keyward_core::resource::{Link, Resource};
    let team = srv.team("Acme").await;
    let mut apps = Vec::new();
    for name in ["A", "B", "C"] {
        apps.push(srv.app(&team, name).await.to_string());
    }
    let admin = srv.team_key(&team, "ADMIN").await;
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let links = apps.iter().map(|a| Link { kind: "apps".into(), id: a.clone() }).collect();
    let tester = Resource {
        team_id: team.team.id,
        kind: "betaTesters".into(),
        id: "tester-1".into(),
        app: None,
        attributes: serde_json::Map::new(),
        relationships: [("apps".to_owned(), links)].into_iter().collect(),
        created_at: now,
        updated_at: now,
    };
    srv.store().create_resource(tester, Default::default()).await.unwrap();
    srv.sync().await;
    for path in ["/v1/betaTesters/tester-1/apps?limit=2", "/v1/betaTesters/tester-1/relationships/apps?limit=2"] {
        let (status, _, first) = parts(srv.get(path, &admin.token()).await).await;
        assert_eq!(status, 200, "{path}: {first}");
        assert_eq!((first["data"].as_array().unwrap().len(), first["meta"]["paging"]["total"].as_u64()), (2, Some(3)));
        let next = first["links"]["next"].as_str().unwrap_or_else(|| panic!("{path}: no links.next in {first}"));
        let next = &next[next.find("/v1/").unwrap()..];
        let (_, _, second) = parts(srv.get(next, &admin.token()).await).await;
        assert_eq!(second["data"].as_array().unwrap().len(), 1, "{second}");
        assert!(second["links"]["next"].is_null(), "the last page has no next: {second}");
        let mut ids: Vec<&str> = first["data"]
            .as_array()
            .unwrap()
            .iter()
            .chain(second["data"].as_array().unwrap())
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        ids.sort_unstable();
        let mut expected: Vec<&str> = apps.iter().map(String::as_str).collect();
        expected.sort_unstable();
        assert_eq!(ids, expected, "{path}: every app once");
    }
});
