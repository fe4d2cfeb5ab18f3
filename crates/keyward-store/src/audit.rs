//! Reading a team's audit log (K15). Writing happens inside each write's transaction (`tx::audit`).

use keyward_core::audit::AuditEvent;
use keyward_core::error::StoreError;
use keyward_core::ids::TeamId;
use keyward_core::ports::AuditStore;

use crate::error::backend_error;
use crate::{Store, convert};

impl AuditStore for Store {
    async fn audit(&self, team: TeamId) -> Result<Vec<AuditEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, team_id, at, event, actor, actor_ip, subject, detail FROM audit_events WHERE team_id = $1 ORDER BY seq",
        )
        .bind(team.to_string())
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(backend_error)?;
        rows.iter().map(convert::audit_event).collect()
    }
}
