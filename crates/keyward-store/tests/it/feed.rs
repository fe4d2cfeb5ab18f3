//! M1: the change feed's reader never skips a committed change, whatever order writers commit in.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use keyward_core::change::Change;
use keyward_core::ports::*;
use keyward_store::testing::OpenFeedWrite;

// One writer holds its transaction open after its feed append; another writes meanwhile. A reader
// that reads in between must not move past the first writer's sequence number: on PostgreSQL a
// BIGSERIAL is drawn at insert, so without serialized appends the second could commit with a higher
// number first and the reader would never look below it again.
both_backends!(m1_a_reader_never_passes_a_change_that_commits_late, |store: keyward_store::Store, _db| async move {
    let a = approved_team(&store, "Alpha").await;
    let b = approved_team(&store, "Beta").await;
    let key_a = generate_team_key(&store, &a, "A").await;
    let key_b = generate_team_key(&store, &b, "B").await;
    let position = store.last_change().await.unwrap();

    let first =
        OpenFeedWrite::begin(&store, &Change::KeyRevoked { team_id: a.team.id, key_id: key_a.id.clone() }).await;
    let second = {
        let store = store.clone();
        let (team, key) = (b.team.id, key_b.id.clone());
        tokio::spawn(async move { store.revoke_keys(team, &[key], &operator()).await.unwrap() })
    };
    keyward_store::testing::until_a_writer_waits(&store).await;
    // The reader polls while the first is still open and the second waits.
    let seen = store.changes_since(position).await.unwrap();
    assert!(seen.is_empty(), "a change became visible while an earlier append was uncommitted: {seen:?}");
    assert!(!second.is_finished(), "the second writer waits for the first to commit");
    let position = seen.last().map_or(position, |e| e.seq);

    first.commit().await;
    second.await.unwrap();
    let seen = store.changes_since(position).await.unwrap();
    let kinds: Vec<_> = seen.iter().map(|e| e.change.clone()).collect();
    assert_eq!(
        kinds,
        vec![
            Change::KeyRevoked { team_id: a.team.id, key_id: key_a.id.clone() },
            Change::KeyRevoked { team_id: b.team.id, key_id: key_b.id.clone() },
        ],
        "both changes, in commit order"
    );
});
