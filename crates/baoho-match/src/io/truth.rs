//! Truth files for evaluation: the true pairs of a link, the true clusters of a dedupe.

use super::IoError;
use super::columns::squash;
use super::decode::{decode, sniff_delimiter};
use std::path::Path;

/// One row of a truth file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruthRow {
    pub list_id: String,
    /// `None` when the list row has no true match.
    pub registry_id: Option<String>,
}

/// Read a truth file: CSV with `list_id` and `registry_id` columns (or the first two columns),
/// one row per true pair; rows with an empty `registry_id` mark list rows without a match.
pub fn read_truth(path: &Path) -> Result<Vec<TruthRow>, IoError> {
    let rows = read_truth_like(
        path,
        &["listid", "id1", "leftid"],
        &["registryid", "id2", "rightid"],
    )?;
    Ok(rows
        .into_iter()
        .map(|(list_id, registry_id)| TruthRow {
            list_id,
            registry_id,
        })
        .collect())
}

/// Two columns of a CSV, found by header (squashed) or else the first two.
fn read_truth_like(
    path: &Path,
    first: &[&str],
    second: &[&str],
) -> Result<Vec<(String, Option<String>)>, IoError> {
    let bytes = std::fs::read(path).map_err(|source| IoError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let (text, _) = decode(&bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(sniff_delimiter(&text))
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| IoError::Spreadsheet(format!("{}: {e}", path.display())))?
        .iter()
        .map(squash)
        .collect();
    let li = headers
        .iter()
        .position(|h| first.contains(&h.as_str()))
        .unwrap_or(0);
    let ri = headers
        .iter()
        .position(|h| second.contains(&h.as_str()))
        .unwrap_or(1);
    let mut out = Vec::new();
    for r in rdr.records().flatten() {
        let l = r.get(li).unwrap_or("").trim();
        if l.is_empty() {
            continue;
        }
        let other = r
            .get(ri)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        out.push((l.to_owned(), other));
    }
    Ok(out)
}

/// Read a deduplication truth file: `id,cluster` (or the first two columns); records with the
/// same cluster are the same person.
pub fn read_clusters(path: &Path) -> Result<Vec<(String, String)>, IoError> {
    let rows = read_truth_like(
        path,
        &["id", "recordid", "registryid"],
        &["cluster", "clusterid", "personid", "entityid"],
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|(a, b)| b.map(|b| (a, b)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truth_file() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("baoho-truth-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let p = dir.join("t.csv");
        std::fs::write(&p, "list_id,registry_id,corruption\nL1,R7,x\nL2,,y\n")?;
        let t = read_truth(&p)?;
        let c = dir.join("c.csv");
        std::fs::write(&c, "id,cluster\nR1,P1\nD1,P1\nR2,\n")?;
        assert_eq!(
            read_clusters(&c)?,
            [("R1".into(), "P1".into()), ("D1".into(), "P1".into())]
        );
        std::fs::remove_dir_all(&dir)?;
        assert_eq!(
            t,
            [
                TruthRow {
                    list_id: "L1".into(),
                    registry_id: Some("R7".into())
                },
                TruthRow {
                    list_id: "L2".into(),
                    registry_id: None
                }
            ]
        );
        Ok(())
    }
}
