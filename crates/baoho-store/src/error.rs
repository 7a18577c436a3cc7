use thiserror::Error;

/// What can go wrong below the services. Mapped once to HTTP in the server.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid value: {0}")]
    Invalid(String),
    /// Input that breaks a rule, field by field (the form shows each).
    #[error("invalid input ({} problems)", .0.len())]
    Validation(Vec<baoho_domain::person::FieldError>),
    /// The role never does this (no object is involved, so nothing is hidden by saying so).
    #[error("not allowed for this role")]
    Forbidden,
    #[error("database URL must start with sqlite: or postgres: (got {0:?})")]
    BadUrl(String),
    #[error(
        "database file {0} does not exist; run `baoho migrate --database sqlite:{0}` to create it"
    )]
    DatabaseMissing(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error("database error: {0}")]
    Db(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(e.to_string())
            }
            sqlx::Error::Database(ref d) if d.is_unique_violation() => {
                StoreError::Conflict(d.message().to_owned())
            }
            sqlx::Error::Database(ref d)
                if d.is_foreign_key_violation() || d.is_check_violation() =>
            {
                StoreError::Invalid(d.message().to_owned())
            }
            other => StoreError::Db(other),
        }
    }
}
