//! Lists with filters, sorts and keyset paging; invitations; member and app updates.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::app::NewApp;
use keyward_core::error::{DomainError, StoreError};
use keyward_core::ids::AppId;
use keyward_core::invitation::NewInvitation;
use keyward_core::paging::*;
use keyward_core::ports::*;
use keyward_core::role::{Role, RoleSet};

fn page<S>(sort: S, descending: bool, after: Option<Keyset>, limit: u32) -> PageRequest<S> {
    PageRequest { sort, descending, after, limit }
}

async fn all_pages(
    store: &keyward_store::Store,
    team: keyward_core::ids::TeamId,
    sort: UserSort,
    descending: bool,
    limit: u32,
    f: &MemberFilter,
) -> Vec<String> {
    let mut after = None;
    let mut seen = Vec::new();
    loop {
        let p = store.list_members(team, f, &page(sort, descending, after, limit)).await.unwrap();
        seen.extend(p.items.iter().map(|m| m.email.clone()));
        match p.next {
            Some(k) => after = Some(k),
            None => return seen,
        }
    }
}

both_backends!(
    members_page_through_every_sort_without_gaps_or_repeats,
    |store: keyward_store::Store, _db| async move {
        let t = approved_team(&store, "Acme").await;
        for i in 0..23 {
            let roles = if i % 3 == 0 { RoleSet::of(&[Role::Marketing]) } else { RoleSet::of(&[Role::Developer]) };
            store
                .add_member(
                    t.team.id,
                    NewMember {
                        person: NewPerson {
                            email: format!("user{i:02}@acme.test"),
                            first_name: "F".into(),
                            last_name: format!("L{}", i % 5),
                            password_hash: None,
                        },
                        roles,
                        individual_keys: true,
                        all_apps_visible: true,
                        visible_apps: vec![],
                        provisioning_allowed: false,
                    },
                    &operator(),
                )
                .await
                .unwrap();
        }
        let mut expected: Vec<String> = store.members(t.team.id).await.unwrap().into_iter().map(|m| m.email).collect();
        expected.sort();
        let none = MemberFilter::default();
        assert_eq!(all_pages(&store, t.team.id, UserSort::Username, false, 5, &none).await, expected);
        let mut reversed = expected.clone();
        reversed.reverse();
        assert_eq!(all_pages(&store, t.team.id, UserSort::Username, true, 7, &none).await, reversed);
        let by_last = all_pages(&store, t.team.id, UserSort::LastName, false, 4, &none).await;
        assert_eq!(by_last.len(), 24, "ties on lastName are broken by ID, nothing lost");
        let mut dedup = by_last.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), 24);
        let first = store.list_members(t.team.id, &none, &page(UserSort::Username, false, None, 5)).await.unwrap();
        assert_eq!((first.items.len(), first.total), (5, 24));
        let marketing = MemberFilter { roles: vec![Role::Marketing], ..Default::default() };
        let m = store.list_members(t.team.id, &marketing, &page(UserSort::Username, false, None, 50)).await.unwrap();
        assert_eq!(m.total, 8);
        assert!(m.items.iter().all(|x| x.roles.contains(Role::Marketing)));
        let by_name = MemberFilter {
            usernames: vec!["USER03@acme.test".into(), "user04@acme.test".into()],
            ..Default::default()
        };
        assert_eq!(
            store.list_members(t.team.id, &by_name, &page(UserSort::Username, false, None, 50)).await.unwrap().total,
            2
        );
    }
);

both_backends!(apps_filters_visibility_and_paging, |store: keyward_store::Store, _db| async move {
    let t = approved_team(&store, "Acme").await;
    let mut ids = Vec::new();
    for i in 0..12 {
        let app = store
            .create_app(
                t.team.id,
                NewApp {
                    name: format!("App {i:02}"),
                    bundle_id: format!("com.acme.app{i}"),
                    sku: format!("SKU{i:02}"),
                    primary_locale: "en-US".into(),
                },
                &operator(),
            )
            .await
            .unwrap();
        ids.push(app.id);
    }
    let mut after = None;
    let mut names = Vec::new();
    loop {
        let p = store.list_apps(t.team.id, &AppFilter::default(), &page(AppSort::Name, false, after, 5)).await.unwrap();
        assert_eq!(p.total, 12);
        names.extend(p.items.into_iter().map(|a| a.name));
        match p.next {
            Some(k) => after = Some(k),
            None => break,
        }
    }
    assert_eq!(names, (0..12).map(|i| format!("App {i:02}")).collect::<Vec<_>>());
    let sku = AppFilter { skus: vec!["SKU03".into()], ..Default::default() };
    assert_eq!(
        store.list_apps(t.team.id, &sku, &page(AppSort::Sku, true, None, 50)).await.unwrap().items[0].id,
        ids[3]
    );
    let visible = AppFilter { visible_to: Some(vec![ids[1], ids[2]]), ..Default::default() };
    assert_eq!(store.list_apps(t.team.id, &visible, &page(AppSort::Name, false, None, 50)).await.unwrap().total, 2);
    let nothing = AppFilter { visible_to: Some(vec![]), ..Default::default() };
    assert_eq!(store.list_apps(t.team.id, &nothing, &page(AppSort::Name, false, None, 50)).await.unwrap().total, 0);
    let other = approved_team(&store, "Other").await;
    assert_eq!(
        store
            .list_apps(other.team.id, &AppFilter::default(), &page(AppSort::Name, false, None, 50))
            .await
            .unwrap()
            .total,
        0,
        "team scoped"
    );
});

both_backends!(invitations_lifecycle, |store: keyward_store::Store, _db| async move {
    let t = approved_team(&store, "Acme").await;
    let app = store
        .create_app(
            t.team.id,
            NewApp {
                name: "Fizz".into(),
                bundle_id: "com.acme.fizz".into(),
                sku: "FIZZ".into(),
                primary_locale: "en-US".into(),
            },
            &operator(),
        )
        .await
        .unwrap();
    let password_person = || {
        Acceptance::NewPerson(NewPerson {
            email: "ignored@x.test".into(),
            first_name: "New".into(),
            last_name: "Person".into(),
            password_hash: Some(keyward_core::secret::PasswordHash::new("$argon2id$test".into())),
        })
    };
    let new = |email: &str, roles: RoleSet| NewInvitation {
        email: email.into(),
        first_name: "New".into(),
        last_name: "Person".into(),
        roles,
        individual_keys_by_default: false,
        all_apps_visible: false,
        provisioning_allowed: false,
        visible_apps: vec![app.id],
    };
    let inv = store
        .create_invitation(
            t.team.id,
            new("new@acme.test", RoleSet::of(&[Role::Developer])),
            "secret-hash-new@acme.test",
            &operator(),
        )
        .await
        .unwrap();
    assert_eq!(inv.visible_apps, vec![app.id]);
    assert!((inv.expires_at - time::OffsetDateTime::now_utc()).whole_hours() >= 71);
    let refused = store
        .create_invitation(
            t.team.id,
            new("boss@acme.test", RoleSet::of(&[Role::AccountHolder])),
            "secret-hash-boss@acme.test",
            &operator(),
        )
        .await;
    assert!(matches!(refused, Err(StoreError::Rule(DomainError::CannotGrantAccountHolder))));
    assert!(
        store
            .create_invitation(
                t.team.id,
                new("new@acme.test", RoleSet::of(&[Role::Sales])),
                "secret-hash-new@acme.test",
                &operator()
            )
            .await
            .is_err(),
        "one pending per email"
    );
    assert!(
        store
            .create_invitation(
                t.team.id,
                new("holder@acme.test", RoleSet::of(&[Role::Sales])),
                "secret-hash-holder@acme.test",
                &operator()
            )
            .await
            .is_err(),
        "already a member"
    );
    let listed = store
        .list_invitations(t.team.id, &InvitationFilter::default(), &page(InvitationSort::Email, false, None, 50))
        .await
        .unwrap();
    assert_eq!(listed.total, 1);
    assert!(store.accept_invitation(&inv.id.to_string(), password_person()).await.is_err(), "the ID is not the secret");
    let member = store.accept_invitation("secret-hash-new@acme.test", password_person()).await.unwrap();
    assert!(
        store.accept_invitation("secret-hash-new@acme.test", password_person()).await.is_err(),
        "a secret works once"
    );
    assert_eq!((member.email.as_str(), member.visible_apps.clone()), ("new@acme.test", vec![app.id]));
    assert!(!member.roles.contains(Role::GenerateIndividualKeys), "the permission follows the invitation's roles");
    assert!(store.invitation(t.team.id, inv.id).await.is_err(), "accepting deletes the invitation");
    let second = store
        .create_invitation(
            t.team.id,
            new("two@acme.test", RoleSet::of(&[Role::Sales])),
            "secret-hash-two@acme.test",
            &operator(),
        )
        .await
        .unwrap();
    let other = approved_team(&store, "Other").await;
    assert!(store.delete_invitation(other.team.id, second.id, &operator()).await.is_err(), "team scoped");
    store.delete_invitation(t.team.id, second.id, &operator()).await.unwrap();
    assert_eq!(
        store
            .list_invitations(t.team.id, &InvitationFilter::default(), &page(InvitationSort::Email, false, None, 50))
            .await
            .unwrap()
            .total,
        0
    );
});

both_backends!(member_update_is_all_or_nothing, |store: keyward_store::Store, _db| async move {
    let t = approved_team(&store, "Acme").await;
    let dev = developer(&store, &t, "dev@acme.test").await;
    let app = store
        .create_app(
            t.team.id,
            NewApp {
                name: "Fizz".into(),
                bundle_id: "com.acme.fizz".into(),
                sku: "FIZZ".into(),
                primary_locale: "en-US".into(),
            },
            &operator(),
        )
        .await
        .unwrap();
    let update = MemberUpdate {
        roles: Some(RoleSet::of(&[Role::AppManager])),
        roles_as: Default::default(),
        all_apps_visible: Some(false),
        provisioning_allowed: Some(true),
        visible_apps: Some(VisibleAppsChange::Replace(vec![app.id])),
    };
    let updated = store.update_member(t.team.id, dev.id, update, &operator()).await.unwrap();
    assert_eq!(
        (updated.roles, updated.all_apps_visible, updated.provisioning_allowed, updated.visible_apps.clone()),
        (RoleSet::of(&[Role::AppManager]), false, true, vec![app.id])
    );
    let bad = MemberUpdate {
        roles: Some(RoleSet::of(&[Role::Sales])),
        visible_apps: Some(VisibleAppsChange::Add(vec![AppId(42)])),
        ..Default::default()
    };
    assert!(store.update_member(t.team.id, dev.id, bad, &operator()).await.is_err());
    assert_eq!(
        store.member(t.team.id, dev.id).await.unwrap().roles,
        RoleSet::of(&[Role::AppManager]),
        "nothing written"
    );
    let removed = MemberUpdate { visible_apps: Some(VisibleAppsChange::Remove(vec![app.id])), ..Default::default() };
    assert!(store.update_member(t.team.id, dev.id, removed, &operator()).await.unwrap().visible_apps.is_empty());
});

// I1, I2: the invitation's ID opens nothing; a new person cannot take over an existing one (the
// victim has no password yet: another team's Account Holder before activation); a signed-in person
// accepts only their own invitation; and of concurrent acceptances with one secret, one wins.
both_backends!(invitations_never_take_over_a_person, |store: keyward_store::Store, _db| async move {
    let a = approved_team(&store, "Attackers").await;
    let victim = team(&store, "Victims").await; // holder@victims.test, no password yet
    let invite = |email: &str| NewInvitation {
        email: email.into(),
        first_name: "V".into(),
        last_name: "V".into(),
        roles: RoleSet::of(&[Role::Admin]),
        individual_keys_by_default: false,
        all_apps_visible: true,
        provisioning_allowed: false,
        visible_apps: vec![],
    };
    let hash = keyward_core::secret::PasswordHash::new("$argon2id$attacker".into());
    let as_new = |email: &str| {
        Acceptance::NewPerson(NewPerson {
            email: email.into(),
            first_name: "Mallory".into(),
            last_name: "M".into(),
            password_hash: Some(hash.clone()),
        })
    };
    store.create_invitation(a.team.id, invite("holder@victims.test"), "h-victim", &operator()).await.unwrap();
    let refused = store.accept_invitation("h-victim", as_new("holder@victims.test")).await;
    assert!(matches!(refused, Err(StoreError::Rule(DomainError::Conflict(_)))), "{refused:?}");
    let (_, password) = store.login_identity("holder@victims.test").await.unwrap().unwrap();
    assert!(password.is_none(), "the victim's password was neither set nor changed");
    // Signed in as the attacker (team A's Account Holder), the victim's invitation is refused.
    let attacker = store.login_identity("holder@attackers.test").await.unwrap().unwrap().0;
    let refused = store.accept_invitation("h-victim", Acceptance::SignedIn(attacker.id)).await;
    assert!(matches!(refused, Err(StoreError::Rule(DomainError::NotAllowed(_)))), "{refused:?}");
    // The victim, signed in as themselves, accepts; the secret then works no more.
    let member = store.accept_invitation("h-victim", Acceptance::SignedIn(victim.person_id)).await.unwrap();
    assert_eq!(member.person_id, victim.person_id);
    assert!(store.accept_invitation("h-victim", Acceptance::SignedIn(victim.person_id)).await.is_err());

    // Eight acceptances of one secret at once: exactly one member.
    store.create_invitation(a.team.id, invite("race@x.test"), "h-race", &operator()).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let person = as_new("race@x.test");
            tokio::spawn(async move { store.accept_invitation("h-race", person).await.is_ok() })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
    let members = store.members(a.team.id).await.unwrap();
    assert_eq!(members.iter().filter(|m| m.email == "race@x.test").count(), 1);
});

// K6b: an invitation grants the permission explicitly when its roles name it, by default when made
// with the console's box ticked (held, not listed), and not at all otherwise.
both_backends!(
    k6b_invitations_grant_the_permission_explicitly_or_by_default,
    |store: keyward_store::Store, _db| async move {
        let t = approved_team(&store, "Acme").await;
        let gik = Role::GenerateIndividualKeys;
        let cases = [
            ("named@acme.test", RoleSet::of(&[Role::Developer, gik]), false, true, true),
            ("default@acme.test", RoleSet::of(&[Role::Developer]), true, true, false),
            ("withheld@acme.test", RoleSet::of(&[Role::Developer]), false, false, false),
        ];
        for (email, roles, by_default, held, explicit) in cases {
            let new = NewInvitation {
                email: email.into(),
                first_name: "N".into(),
                last_name: "P".into(),
                roles,
                individual_keys_by_default: by_default,
                all_apps_visible: true,
                provisioning_allowed: false,
                visible_apps: vec![],
            };
            let secret = format!("secret-{email}");
            let inv = store.create_invitation(t.team.id, new, &secret, &operator()).await.unwrap();
            assert_eq!(inv.roles, roles, "{email}: the invitation lists what it was given");
            let person = Acceptance::NewPerson(NewPerson {
                email: email.into(),
                first_name: "N".into(),
                last_name: "P".into(),
                password_hash: Some(keyward_core::secret::PasswordHash::new("$argon2id$test".into())),
            });
            store.accept_invitation(&secret, person).await.unwrap();
            let m = store.member_by_email(t.team.id, email).await.unwrap();
            assert_eq!((m.roles.contains(gik), m.individual_keys_explicit), (held, explicit), "{email}");
        }
    }
);
