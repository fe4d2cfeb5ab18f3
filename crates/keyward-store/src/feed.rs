//! Reading the change feed (K11). Appends happen inside each write's transaction (`tx::change`).

use keyward_core::change::{Change, FeedEntry};
use keyward_core::error::StoreError;
use keyward_core::ids::AppId;
use keyward_core::ports::ChangeFeed;
use sqlx::any::AnyRow;

use crate::error::backend_error;
use crate::{Store, convert};

fn entry(row: &AnyRow) -> Result<FeedEntry, StoreError> {
    let bad = |what: &str| StoreError::Backend(format!("change feed row has an invalid {what}"));
    let seq: i64 = convert::get(row, "seq")?;
    let kind: String = convert::get(row, "kind")?;
    let team_id = convert::get::<String>(row, "team_id")?.parse().map_err(|_| bad("team id"))?;
    let key = || -> Result<_, StoreError> {
        let k: Option<String> = convert::get(row, "key_id")?;
        k.and_then(|k| k.parse().ok()).ok_or_else(|| bad("key id"))
    };
    let change = match kind.as_str() {
        "key_downloaded" => Change::KeyDownloaded { team_id, key_id: key()? },
        "key_revoked" => Change::KeyRevoked { team_id, key_id: key()? },
        "team_access" => Change::TeamAccess { team_id },
        "member" => {
            let m: Option<String> = convert::get(row, "member_id")?;
            Change::Member { team_id, member_id: m.and_then(|m| m.parse().ok()).ok_or_else(|| bad("member id"))? }
        }
        "app" => {
            let a: Option<i64> = convert::get(row, "app_id")?;
            Change::App { team_id, app_id: a.map(AppId).ok_or_else(|| bad("app id"))? }
        }
        "resource" => {
            let kind: Option<String> = convert::get(row, "resource_kind")?;
            let id: Option<String> = convert::get(row, "resource_id")?;
            let (resource_type, id) = kind.zip(id).ok_or_else(|| bad("resource"))?;
            Change::Resource { team_id, resource_type, id }
        }
        _ => return Err(bad("kind")),
    };
    Ok(FeedEntry { seq, change })
}

impl ChangeFeed for Store {
    async fn changes_since(&self, after: i64) -> Result<Vec<FeedEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, kind, team_id, key_id, member_id, app_id, resource_kind, resource_id FROM changes \
             WHERE seq > $1 ORDER BY seq LIMIT 1000",
        )
        .bind(after)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(backend_error)?;
        rows.iter().map(entry).collect()
    }

    async fn last_change(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM changes")
            .fetch_one(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?;
        convert::get(&row, "seq")
    }
}
