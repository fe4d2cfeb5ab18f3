//! Persons (login identities), shared by team creation and member additions.

use keyward_core::error::{DomainError, StoreError};
use keyward_core::ids::PersonId;
use keyward_core::ports::NewPerson;
use keyward_core::team::{normalize_email, validate_person_name};
use sqlx::Row;
use time::OffsetDateTime;

use crate::error::backend_error;
use crate::tx::Tx;

/// Finds the person with this email or creates them. A person may belong to several teams; an
/// existing person keeps their name, and gets the password only if they had none.
pub(crate) async fn find_or_create(
    tx: &mut Tx,
    person: &NewPerson,
    operator: bool,
    at: OffsetDateTime,
) -> Result<PersonId, StoreError> {
    let email = normalize_email(&person.email)?;
    let first = validate_person_name(&person.first_name)?;
    let last = validate_person_name(&person.last_name)?;
    let existing = sqlx::query("SELECT id, password_hash FROM persons WHERE email = $1")
        .bind(email.clone())
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend_error)?;
    if let Some(row) = existing {
        let id: String = row.try_get("id").map_err(backend_error)?;
        let has_password = row.try_get::<Option<String>, _>("password_hash").map_err(backend_error)?.is_some();
        if person.password_hash.is_some() && has_password {
            return Err(
                DomainError::Conflict(format!("{email} already has a login; their password was not changed")).into()
            );
        }
        if let Some(hash) = &person.password_hash {
            sqlx::query("UPDATE persons SET password_hash = $1 WHERE id = $2")
                .bind(hash.expose().to_owned())
                .bind(id.clone())
                .execute(&mut **tx)
                .await
                .map_err(backend_error)?;
        }
        if operator {
            sqlx::query("UPDATE persons SET is_operator = TRUE WHERE id = $1")
                .bind(id.clone())
                .execute(&mut **tx)
                .await
                .map_err(backend_error)?;
        }
        return id.parse().map_err(|_| StoreError::Backend(format!("stored person id '{id}' is invalid")));
    }
    let id = PersonId::random();
    sqlx::query(
        "INSERT INTO persons (id, email, first_name, last_name, password_hash, is_operator, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(email)
    .bind(first)
    .bind(last)
    .bind(person.password_hash.as_ref().map(|h| h.expose().to_owned()))
    .bind(operator)
    .bind(at.unix_timestamp())
    .execute(&mut **tx)
    .await
    .map_err(backend_error)?;
    Ok(id)
}

/// Creates a person who must not exist yet (accepting an invitation as a new person, I2). An
/// existing email is refused: that person accepts while signed in, and their password is never
/// set or changed here.
pub(crate) async fn create_new(tx: &mut Tx, person: &NewPerson, at: OffsetDateTime) -> Result<PersonId, StoreError> {
    let email = normalize_email(&person.email)?;
    let first = validate_person_name(&person.first_name)?;
    let last = validate_person_name(&person.last_name)?;
    let Some(hash) = &person.password_hash else {
        return Err(DomainError::InvalidInput("a new person needs a password".into()).into());
    };
    let id = PersonId::random();
    // One statement: a person committed by anyone in the meantime makes it fail, never a password
    // written onto them.
    sqlx::query(
        "INSERT INTO persons (id, email, first_name, last_name, password_hash, is_operator, created_at) \
         VALUES ($1, $2, $3, $4, $5, FALSE, $6)",
    )
    .bind(id.to_string())
    .bind(email.clone())
    .bind(first)
    .bind(last)
    .bind(hash.expose().to_owned())
    .bind(at.unix_timestamp())
    .execute(&mut **tx)
    .await
    .map_err(|e| {
        if crate::error::is_unique_violation(&e) {
            StoreError::Rule(DomainError::Conflict(format!(
                "{email} already has a Keyward account; sign in as {email}, then open the invitation link again"
            )))
        } else {
            backend_error(e)
        }
    })?;
    Ok(id)
}

/// The signed-in person accepting an invitation must be the person it was sent to.
pub(crate) async fn ensure_email(tx: &mut Tx, person: PersonId, email: &str) -> Result<(), StoreError> {
    let row = sqlx::query("SELECT email FROM persons WHERE id = $1")
        .bind(person.to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend_error)?;
    let own: Option<String> = row.map(|r| r.try_get("email")).transpose().map_err(backend_error)?;
    if own.as_deref() != Some(email) {
        return Err(DomainError::NotAllowed(format!("this invitation was sent to {email}, not to you")).into());
    }
    Ok(())
}
