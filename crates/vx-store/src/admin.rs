//! Scratch PostgreSQL databases, for the benchmarks and the tests.

use crate::{Pool, Result, Store, StoreError};

/// Creates an empty PostgreSQL database `name` on the server of `admin_url` and returns its URL.
pub async fn create_postgres_database(admin_url: &str, name: &str) -> Result<String> {
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(StoreError::Invalid(format!("database name {name:?}")));
    }
    let admin = Store::connect(admin_url).await?;
    let Pool::Postgres(p) = &admin.pool else {
        return Err(StoreError::Invalid(format!(
            "{admin_url} is not a PostgreSQL URL"
        )));
    };
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(p)
        .await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(p)
        .await?;
    admin.close().await;
    let mut url = url::Url::parse(admin_url).map_err(|e| StoreError::Invalid(e.to_string()))?;
    url.set_path(name);
    Ok(url.to_string())
}

/// Drops the PostgreSQL database `name` (ending its connections).
pub async fn drop_postgres_database(admin_url: &str, name: &str) -> Result<()> {
    let admin = Store::connect(admin_url).await?;
    if let Pool::Postgres(p) = &admin.pool {
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(p)
            .await?;
    }
    admin.close().await;
    Ok(())
}
