//! The installation's signing CA (spec F1): made once, by whichever node starts first, and read
//! by every other. Two nodes starting together both offer one; the first insert wins and both
//! read it back.

use keyward_core::error::StoreError;
use keyward_core::ports::SigningStore;
use sqlx::Row;

use crate::Store;
use crate::error::backend_error;

impl SigningStore for Store {
    async fn signing_ca(&self, offer: (String, String)) -> Result<(String, String), StoreError> {
        sqlx::query(
            "INSERT INTO signing_authority (id, cert_pem, key_pem, created_at) VALUES (1, $1, $2, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(offer.0)
        .bind(offer.1)
        .bind(time::OffsetDateTime::now_utc().unix_timestamp())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(backend_error)?;
        let row = sqlx::query("SELECT cert_pem, key_pem FROM signing_authority WHERE id = 1")
            .fetch_one(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?;
        let cert: String = row.try_get(0).map_err(backend_error)?;
        let key: String = row.try_get(1).map_err(backend_error)?;
        Ok((cert, key))
    }
}
