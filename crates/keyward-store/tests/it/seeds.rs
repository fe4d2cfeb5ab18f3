//! Seeds write through the one writer of each table, so what a seed makes behaves like what the
//! API and the console make: a seeded invitation can be accepted, with K6's default grant.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use crate::common::*;
use keyward_core::error::{DomainError, StoreError};
use keyward_core::paging::{InvitationFilter, InvitationSort, PageRequest};
use keyward_core::ports::*;
use keyward_core::role::Role;
use keyward_core::seed::{SeedFile, SeedInvitation, SeedMember, SeedTeam};
use keyward_token::session::hash_token;

fn seed() -> SeedFile {
    SeedFile {
        teams: vec![SeedTeam {
            name: "Seeded".into(),
            issuer_id: None,
            api_access: None,
            rate_limit_per_hour: None,
            apps: vec![],
            members: vec![SeedMember {
                email: "holder@seeded.test".into(),
                first_name: "H".into(),
                last_name: "Older".into(),
                roles: vec![],
                account_holder: true,
                apps: None,
                provisioning: false,
                individual_keys: true,
            }],
            invitations: vec![SeedInvitation {
                email: "dev@seeded.test".into(),
                first_name: "Dev".into(),
                last_name: "Eloper".into(),
                roles: vec!["DEVELOPER".into()],
                apps: None,
                provisioning: false,
            }],
            keys: vec![],
            resources: vec![],
            reports: vec![],
            data: vec![],
        }],
    }
}

fn newcomer() -> Acceptance {
    Acceptance::NewPerson(NewPerson {
        email: "ignored@x.test".into(),
        first_name: "Dev".into(),
        last_name: "Eloper".into(),
        password_hash: Some(keyward_core::secret::PasswordHash::new("$argon2id$test".into())),
    })
}

both_backends!(
    a_seeded_invitation_can_be_accepted_with_the_default_grant,
    |store: keyward_store::Store, _url| async move {
        store.apply_seed(&seed(), &HashMap::new(), false).await.unwrap();
        let team = store.team(&TeamRef::Name("Seeded".into())).await.unwrap();
        let page = PageRequest { sort: InvitationSort::Email, descending: false, after: None, limit: 50 };
        let listed = store.list_invitations(team.id, &InvitationFilter::default(), &page).await.unwrap();
        assert_eq!(listed.items.len(), 1);
        let invitation = &listed.items[0];
        assert!(invitation.individual_keys_by_default, "K6: a seeded invitee gets the permission on joining, as any");
        // Its link is nobody's until the console or the API hands one out; guessing is no help.
        assert!(matches!(
            store.accept_invitation(&hash_token("a guess"), newcomer()).await,
            Err(StoreError::Rule(DomainError::NotFound { .. }))
        ));
        let secret = "the link the console handed out";
        store.renew_invitation_secret(team.id, invitation.id, &hash_token(secret), &operator()).await.unwrap();
        let member = store.accept_invitation(&hash_token(secret), newcomer()).await.unwrap();
        assert_eq!(member.email, "dev@seeded.test");
        assert!(member.roles.contains(Role::Developer));
        assert!(member.roles.contains(Role::GenerateIndividualKeys), "the default grant is held: {}", member.roles);
        assert!(!member.individual_keys_explicit, "K6b: held by default, not listed");
        // Re-applying the seed does not invite the new member again.
        let again = store.apply_seed(&seed(), &HashMap::new(), false).await.unwrap();
        let listed = store.list_invitations(team.id, &InvitationFilter::default(), &page).await.unwrap();
        assert_eq!((again.changes, listed.items.len()), (0, 0), "an accepted invitation stays accepted");
    }
);

both_backends!(r2_resources_page_in_type_and_id_order, |store: keyward_store::Store, _url| async move {
    use keyward_core::ports::ResourceStore;
    use keyward_core::resource::Resource;
    store.apply_seed(&seed(), &HashMap::new(), false).await.unwrap();
    let team = store.team(&TeamRef::Name("Seeded".into())).await.unwrap();
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    for (kind, id) in [("builds", "b2"), ("betaGroups", "g1"), ("builds", "b1"), ("devices", "d1"), ("builds", "b3")] {
        let r = Resource {
            team_id: team.id,
            kind: kind.into(),
            id: id.into(),
            app: None,
            attributes: serde_json::Map::new(),
            relationships: std::collections::BTreeMap::new(),
            created_at: now,
            updated_at: now,
        };
        store.create_resource(r, Default::default()).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.resources_after(after.clone(), 2).await.unwrap();
        assert!(page.len() <= 2);
        seen.extend(page.iter().map(|r| format!("{}/{}", r.kind, r.id)));
        match page.last() {
            Some(last) if page.len() == 2 => after = Some((last.kind.clone(), last.id.clone())),
            _ => break,
        }
    }
    assert_eq!(seen, ["betaGroups/g1", "builds/b1", "builds/b2", "builds/b3", "devices/d1"]);
});
