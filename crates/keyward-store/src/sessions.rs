//! Console sessions and sign-in identities. Only the SHA-256 of a session token is stored.

use keyward_core::change::Change;
use keyward_core::error::StoreError;
use keyward_core::ids::PersonId;
use keyward_core::member::Member;
use keyward_core::ports::{SessionRecord, SessionStore};
use keyward_core::secret::PasswordHash;
use keyward_core::team::{Person, Team, normalize_email};
use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use crate::error::backend_error;
use crate::{Store, convert, member_list, tx};

fn person(row: &AnyRow) -> Result<Person, StoreError> {
    Ok(Person {
        id: convert::get::<String>(row, "id")?
            .parse()
            .map_err(|_| StoreError::Backend("stored person id is invalid".into()))?,
        email: convert::get(row, "email")?,
        first_name: convert::get(row, "first_name")?,
        last_name: convert::get(row, "last_name")?,
        is_operator: convert::flag(row, "is_operator")?,
    })
}

impl SessionStore for Store {
    async fn login_identity(&self, email: &str) -> Result<Option<(Person, Option<PasswordHash>)>, StoreError> {
        let Ok(email) = normalize_email(email) else { return Ok(None) };
        let row = sqlx::query(
            "SELECT id, email, first_name, last_name, is_operator, password_hash FROM persons WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(backend_error)?;
        match row {
            Some(row) => {
                let hash: Option<String> = row.try_get("password_hash").map_err(backend_error)?;
                Ok(Some((person(&row)?, hash.map(PasswordHash::new))))
            }
            None => Ok(None),
        }
    }

    async fn create_session(
        &self,
        person: PersonId,
        token_hash: &str,
        csrf: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, person_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash.to_owned())
        .bind(person.to_string())
        .bind(csrf.to_owned())
        .bind(now)
        .bind(expires_at.unix_timestamp())
        .execute(&mut *self.conn().await?)
        .await
        .map(|_| ())
        .map_err(backend_error)
    }

    async fn session(&self, token_hash: &str, now: OffsetDateTime) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT p.id, p.email, p.first_name, p.last_name, p.is_operator, s.csrf FROM sessions s JOIN persons p ON p.id = s.person_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash.to_owned())
        .bind(now.unix_timestamp())
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(backend_error)?;
        match row {
            Some(row) => Ok(Some(SessionRecord { person: person(&row)?, csrf: convert::get(&row, "csrf")? })),
            None => Ok(None),
        }
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_owned())
            .execute(&mut *self.conn().await?)
            .await
            .map(|_| ())
            .map_err(backend_error)
    }

    async fn set_activation(
        &self,
        person: PersonId,
        token_hash: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE persons SET activation_hash = $1, activation_expires = $2 WHERE id = $3 AND password_hash IS NULL",
        )
        .bind(token_hash.to_owned())
        .bind(expires_at.unix_timestamp())
        .bind(person.to_string())
        .execute(&mut *self.conn().await?)
        .await
        .map(|_| ())
        .map_err(backend_error)
    }

    async fn activation(&self, token_hash: &str, now: OffsetDateTime) -> Result<Option<Person>, StoreError> {
        let row = sqlx::query(
            "SELECT id, email, first_name, last_name, is_operator FROM persons \
             WHERE activation_hash = $1 AND activation_expires > $2 AND password_hash IS NULL",
        )
        .bind(token_hash.to_owned())
        .bind(now.unix_timestamp())
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(backend_error)?;
        row.as_ref().map(person).transpose()
    }

    async fn activate(
        &self,
        token_hash: &str,
        first_name: &str,
        last_name: &str,
        password: PasswordHash,
        now: OffsetDateTime,
    ) -> Result<Option<PersonId>, StoreError> {
        let first = keyward_core::team::validate_person_name(first_name)?;
        let last = keyward_core::team::validate_person_name(last_name)?;
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE persons SET password_hash = $1, first_name = $2, last_name = $3, activation_hash = NULL, activation_expires = NULL \
             WHERE activation_hash = $4 AND activation_expires > $5 AND password_hash IS NULL RETURNING id",
        )
        .bind(password.expose().to_owned())
        .bind(first)
        .bind(last)
        .bind(token_hash.to_owned())
        .bind(now.unix_timestamp())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend_error)?;
        let Some(row) = row else { return Ok(None) };
        let person: PersonId = convert::get::<String>(&row, "id")?
            .parse()
            .map_err(|_| StoreError::Backend("stored person id is invalid".into()))?;
        // The person's name is part of every membership the read model serves (`GET /v1/users`).
        let members = sqlx::query("SELECT id, team_id FROM members WHERE person_id = $1")
            .bind(person.to_string())
            .fetch_all(&mut *tx)
            .await
            .map_err(backend_error)?;
        for m in &members {
            let change =
                Change::Member { team_id: convert::parsed(m, "team_id")?, member_id: convert::parsed(m, "id")? };
            tx::change(&mut tx, &change, now).await?;
        }
        tx::commit(tx).await?;
        Ok(Some(person))
    }

    async fn memberships(&self, person: PersonId) -> Result<Vec<(Team, Member)>, StoreError> {
        let rows = sqlx::query(select_member!("WHERE m.person_id = $1"))
            .bind(person.to_string())
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(backend_error)?;
        let mut members = rows.iter().map(convert::member).collect::<Result<Vec<_>, _>>()?;
        member_list::attach_apps(self, &mut members).await?;
        let mut out = Vec::with_capacity(members.len());
        for m in members {
            let team = keyward_core::ports::TeamStore::team_by_id(self, m.team_id).await?;
            out.push((team, m));
        }
        out.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        Ok(out)
    }
}
