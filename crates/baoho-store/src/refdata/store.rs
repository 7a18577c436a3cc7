//! Reference data in the database: the first load, reads, and the administrator's mission edit.
//! Written once for both backends ([`on_db!`]); the [`Dialect`] says what differs.

use super::{Country, Language, Mission, Province, RefCounts, RefData};
use crate::db::{Commit, Db, Dialect, TxConn, on_db};
use crate::{Result, StoreError};
use sqlx::Row;

const MISSION_COLUMNS: &str = "code, kind, name_vi, name_en, city, country, area, active";

/// Load each dataset that has never been loaded, in one transaction.
pub(crate) async fn load(db: &Db, data: &RefData) -> Result<RefCounts> {
    on_db!(db, |pool| {
        let mut tx = pool.begin_write(db).await?;
        if let Some(lock) = pool.lock_table("reference_load") {
            // One loader at a time, so two servers starting together never double-load.
            sqlx::query(sqlx::AssertSqlSafe(lock))
                .execute(&mut *tx)
                .await?;
        }
        let loaded: Vec<String> = sqlx::query_scalar("SELECT dataset FROM reference_load")
            .fetch_all(&mut *tx)
            .await?;
        let has = |name: &str| loaded.iter().any(|d| d == name);
        let now = chrono::Utc::now();
        let mut counts = RefCounts::default();
        if !has("countries") && !data.countries.is_empty() {
            for c in &data.countries {
                sqlx::query("INSERT INTO country (alpha2, alpha3, numeric, name_en, name_vi) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&c.alpha2).bind(&c.alpha3).bind(&c.numeric).bind(&c.name_en).bind(&c.name_vi)
                    .execute(&mut *tx).await?;
            }
            counts.countries = data.countries.len() as u64;
            mark(&mut tx, "countries", counts.countries, now).await?;
        }
        if !has("provinces") && !data.provinces.is_empty() {
            for p in data.provinces_in_load_order() {
                let sql = if p.era == "2025" {
                    "INSERT INTO province (code, name_vi, name_en, kind) VALUES ($1, $2, $3, $4)"
                } else {
                    "INSERT INTO province_pre2025 (code, name_vi, name_en, kind, merged_into) VALUES ($1, $2, $3, $4, $5)"
                };
                let q = sqlx::query(sql)
                    .bind(&p.code)
                    .bind(&p.name_vi)
                    .bind(&p.name_en)
                    .bind(&p.kind);
                let q = if p.era == "2025" {
                    q
                } else {
                    q.bind(&p.merged_into)
                };
                q.execute(&mut *tx).await?;
            }
            counts.provinces = data.provinces.len() as u64;
            mark(&mut tx, "provinces", counts.provinces, now).await?;
        }
        if !has("languages") && !data.languages.is_empty() {
            for l in &data.languages {
                sqlx::query("INSERT INTO language (code, name_en, name_vi) VALUES ($1, $2, $3)")
                    .bind(&l.code)
                    .bind(&l.name_en)
                    .bind(&l.name_vi)
                    .execute(&mut *tx)
                    .await?;
            }
            counts.languages = data.languages.len() as u64;
            mark(&mut tx, "languages", counts.languages, now).await?;
        }
        if !has("missions") && !data.missions.is_empty() {
            for m in &data.missions {
                sqlx::query("INSERT INTO mission (code, kind, name_vi, name_en, city, country, area, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(&m.code).bind(&m.kind).bind(&m.name_vi).bind(&m.name_en).bind(&m.city).bind(&m.country).bind(&m.area).bind(m.active)
                    .execute(&mut *tx).await?;
                insert_jurisdiction(&mut tx, m).await?;
            }
            counts.missions = data.missions.len() as u64;
            mark(&mut tx, "missions", counts.missions, now).await?;
        }
        tx.commit_in(db).await?;
        Ok(counts)
    })
}

async fn mark<DB, T>(
    tx: &mut T,
    name: &str,
    n: u64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()>
where
    DB: sqlx::Database,
    T: TxConn<Db = DB>,
    for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> chrono::DateTime<chrono::Utc>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    sqlx::query("INSERT INTO reference_load (dataset, rows, loaded_at) VALUES ($1, $2, $3)")
        .bind(name)
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn insert_jurisdiction<DB, T>(tx: &mut T, m: &Mission) -> Result<()>
where
    DB: sqlx::Database,
    T: TxConn<Db = DB>,
    for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'a> &'a String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    for c in &m.jurisdiction {
        sqlx::query("INSERT INTO mission_jurisdiction (mission, country) VALUES ($1, $2)")
            .bind(&m.code)
            .bind(c)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

fn mission_from_row<R>(r: &R) -> Result<Mission>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    bool: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Mission {
        code: r.try_get("code")?,
        kind: r.try_get("kind")?,
        name_vi: r.try_get("name_vi")?,
        name_en: r.try_get("name_en")?,
        city: r.try_get("city")?,
        country: r.try_get("country")?,
        area: r.try_get("area")?,
        active: r.try_get("active")?,
        jurisdiction: Vec::new(),
    })
}

pub(crate) async fn countries(db: &Db) -> Result<Vec<Country>> {
    on_db!(db, |pool| Ok(sqlx::query_as(
        "SELECT alpha2, alpha3, numeric, name_en, name_vi FROM country ORDER BY alpha2",
    )
    .fetch_all(pool)
    .await?))
}

/// Every mission with its jurisdiction (the countries it covers, in order).
pub(crate) async fn missions(db: &Db) -> Result<Vec<Mission>> {
    on_db!(db, |pool| {
        let sql = format!("SELECT {MISSION_COLUMNS} FROM mission ORDER BY country, kind, code");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(pool)
            .await?;
        let juris = sqlx::query(
            "SELECT mission, country FROM mission_jurisdiction ORDER BY mission, country",
        )
        .fetch_all(pool)
        .await?;
        let mut out: Vec<Mission> = rows.iter().map(mission_from_row).collect::<Result<_>>()?;
        let by_code: std::collections::HashMap<String, usize> = out
            .iter()
            .enumerate()
            .map(|(i, m)| (m.code.clone(), i))
            .collect();
        for r in juris {
            let code: String = r.try_get("mission")?;
            if let Some(&i) = by_code.get(&code) {
                out[i].jurisdiction.push(r.try_get("country")?);
            }
        }
        Ok(out)
    })
}

pub(crate) async fn mission(db: &Db, code: &str) -> Result<Mission> {
    on_db!(db, |pool| {
        let sql = format!("SELECT {MISSION_COLUMNS} FROM mission WHERE code = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(code)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut m = mission_from_row(&row)?;
        m.jurisdiction = sqlx::query_scalar(
            "SELECT country FROM mission_jurisdiction WHERE mission = $1 ORDER BY country",
        )
        .bind(code)
        .fetch_all(pool)
        .await?;
        Ok(m)
    })
}

/// Replace a mission's editable fields and its jurisdiction.
pub(crate) async fn update_mission(db: &Db, m: &Mission) -> Result<()> {
    on_db!(db, |pool| {
        let mut tx = pool.begin_write(db).await?;
        let done = sqlx::query("UPDATE mission SET kind = $1, name_vi = $2, name_en = $3, city = $4, country = $5, area = $6, active = $7 WHERE code = $8")
            .bind(&m.kind).bind(&m.name_vi).bind(&m.name_en).bind(&m.city).bind(&m.country).bind(&m.area).bind(m.active).bind(&m.code)
            .execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM mission_jurisdiction WHERE mission = $1")
            .bind(&m.code)
            .execute(&mut *tx)
            .await?;
        insert_jurisdiction(&mut tx, m).await?;
        tx.commit_in(db).await?;
        Ok(())
    })
}

pub(crate) async fn provinces(db: &Db) -> Result<Vec<Province>> {
    on_db!(db, |pool| {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT code, '2025' AS era, name_vi, name_en, kind, {} AS merged_into FROM province \
         UNION ALL SELECT code, 'pre2025' AS era, name_vi, name_en, kind, merged_into FROM province_pre2025 ORDER BY era, code",
        pool.null_text()
    )))
    .fetch_all(pool)
    .await?)
    })
}

pub(crate) async fn languages(db: &Db) -> Result<Vec<Language>> {
    on_db!(db, |pool| Ok(sqlx::query_as(
        "SELECT code, name_en, name_vi FROM language ORDER BY code"
    )
    .fetch_all(pool)
    .await?))
}
