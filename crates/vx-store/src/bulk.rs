//! Bulk writes: the fastest path each backend offers for many new rows in one transaction.
//! PostgreSQL: `COPY … FROM STDIN` (text format). SQLite: multi-row `INSERT … VALUES` of
//! prepared statements, in chunks under the parameter limit.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, QueryBuilder, SqliteConnection};

use crate::Result;

/// One cell of a bulk row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Null,
    Int(i64),
    Bool(bool),
    Text(&'a str),
    Date(NaiveDate),
    Instant(DateTime<Utc>),
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(s: &'a str) -> Self {
        Cell::Text(s)
    }
}
impl From<i64> for Cell<'_> {
    fn from(v: i64) -> Self {
        Cell::Int(v)
    }
}
impl From<i32> for Cell<'_> {
    fn from(v: i32) -> Self {
        Cell::Int(v.into())
    }
}
impl From<bool> for Cell<'_> {
    fn from(v: bool) -> Self {
        Cell::Bool(v)
    }
}
impl From<NaiveDate> for Cell<'_> {
    fn from(v: NaiveDate) -> Self {
        Cell::Date(v)
    }
}
impl From<DateTime<Utc>> for Cell<'_> {
    fn from(v: DateTime<Utc>) -> Self {
        Cell::Instant(v)
    }
}
impl<'a, T: Into<Cell<'a>>> From<Option<T>> for Cell<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Null, Into::into)
    }
}

/// Inserts rows into `table (columns)` on an open connection (inside the caller's transaction).
pub(crate) trait BulkInsert {
    async fn bulk_insert(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Cell<'_>>],
    ) -> Result<()>;
}

impl BulkInsert for SqliteConnection {
    async fn bulk_insert(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Cell<'_>>],
    ) -> Result<()> {
        // SQLite allows 32,766 parameters per statement.
        let per_chunk = (32_000 / columns.len().max(1)).max(1);
        for chunk in rows.chunks(per_chunk) {
            let mut qb =
                QueryBuilder::new(format!("INSERT INTO {table} ({}) ", columns.join(", ")));
            qb.push_values(chunk, |mut b, row| {
                for cell in row {
                    match cell {
                        Cell::Null => b.push_bind(None::<i64>),
                        Cell::Int(v) => b.push_bind(*v),
                        Cell::Bool(v) => b.push_bind(*v),
                        Cell::Text(v) => b.push_bind(v.to_string()),
                        Cell::Date(v) => b.push_bind(*v),
                        Cell::Instant(v) => b.push_bind(*v),
                    };
                }
            });
            qb.build().persistent(false).execute(&mut *self).await?;
        }
        Ok(())
    }
}

impl BulkInsert for PgConnection {
    async fn bulk_insert(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Cell<'_>>],
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut copy = self
            .copy_in_raw(&format!("COPY {table} ({}) FROM STDIN", columns.join(", ")))
            .await?;
        let mut buf = String::with_capacity(1 << 20);
        for row in rows {
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    buf.push('\t');
                }
                write_copy_cell(&mut buf, cell);
            }
            buf.push('\n');
            if buf.len() > (1 << 20) {
                copy.send(buf.as_bytes()).await?;
                buf.clear();
            }
        }
        if !buf.is_empty() {
            copy.send(buf.as_bytes()).await?;
        }
        copy.finish().await?;
        Ok(())
    }
}

/// One cell in PostgreSQL's COPY text format.
fn write_copy_cell(buf: &mut String, cell: &Cell<'_>) {
    use std::fmt::Write;
    match cell {
        Cell::Null => buf.push_str("\\N"),
        Cell::Int(v) => {
            let _ = write!(buf, "{v}");
        }
        Cell::Bool(v) => buf.push(if *v { 't' } else { 'f' }),
        Cell::Date(d) => {
            let _ = write!(buf, "{}", d.format("%Y-%m-%d"));
        }
        Cell::Instant(t) => {
            let _ = write!(buf, "{}", t.to_rfc3339());
        }
        Cell::Text(s) => {
            for c in s.chars() {
                match c {
                    '\\' => buf.push_str("\\\\"),
                    '\t' => buf.push_str("\\t"),
                    '\n' => buf.push_str("\\n"),
                    '\r' => buf.push_str("\\r"),
                    c => buf.push(c),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_cells_escape() {
        let mut s = String::new();
        for c in [
            Cell::Text("a\tb\\c\nd"),
            Cell::Null,
            Cell::Bool(true),
            Cell::Int(-3),
        ] {
            write_copy_cell(&mut s, &c);
            s.push('|');
        }
        assert_eq!(s, "a\\tb\\\\c\\nd|\\N|t|-3|");
    }
}
