//! The CSV files `baoho gen` writes.
//!
//! - registry: `registry_id,full_name,family_name,middle_name,given_name,sex,dob,hometown,
//!   passport,national_id,phone,address,registered`
//! - list: `list_id,full_name,dob,sex,hometown,passport,national_id`
//! - truth: `list_id,registry_id,corruption` (`registry_id` empty for people outside the
//!   registry; `corruption` is [`crate::Applied`]'s compact form)
//! - clusters (deduplication truth): `id,cluster`

use crate::{ListRow, SynthPerson, Truth};
use std::io::Write;

/// Write registry people as CSV (UTF-8, no BOM).
pub fn write_registry<W: Write>(w: W, people: &[SynthPerson]) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record([
        "registry_id",
        "full_name",
        "family_name",
        "middle_name",
        "given_name",
        "sex",
        "dob",
        "hometown",
        "passport",
        "national_id",
        "phone",
        "address",
        "registered",
    ])?;
    for p in people {
        wr.write_record([
            p.id.as_str(),
            &p.full_name(),
            &p.family_name,
            &p.middle_names.join(" "),
            &p.given_name,
            p.sex.code(),
            &p.dob.to_string(),
            &p.hometown,
            p.passport.as_deref().unwrap_or(""),
            &p.national_id,
            &p.phone,
            &p.address,
            &p.registered.to_string(),
        ])?;
    }
    wr.flush()?;
    Ok(())
}

/// Write a generated list as CSV.
pub fn write_list<W: Write>(w: W, rows: &[ListRow]) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record([
        "list_id",
        "full_name",
        "dob",
        "sex",
        "hometown",
        "passport",
        "national_id",
    ])?;
    for r in rows {
        wr.write_record([
            r.list_id.as_str(),
            &r.full_name,
            r.dob.as_deref().unwrap_or(""),
            r.sex.as_deref().unwrap_or(""),
            r.hometown.as_deref().unwrap_or(""),
            r.passport.as_deref().unwrap_or(""),
            r.national_id.as_deref().unwrap_or(""),
        ])?;
    }
    wr.flush()?;
    Ok(())
}

/// Write the truth as CSV.
pub fn write_truth<W: Write>(w: W, truth: &[Truth]) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record(["list_id", "registry_id", "corruption"])?;
    for t in truth {
        wr.write_record([
            t.list_id.as_str(),
            t.registry_id.as_deref().unwrap_or(""),
            &t.applied.to_string(),
        ])?;
    }
    wr.flush()?;
    Ok(())
}

/// Write the truth of a file with duplicates: `id,cluster` (same cluster = same person).
pub fn write_clusters<W: Write>(w: W, truth: &[(String, String)]) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record(["id", "cluster"])?;
    for (id, cluster) in truth {
        wr.write_record([id, cluster])?;
    }
    wr.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Generator, make_list};

    #[test]
    fn files_round_trip_through_csv() -> Result<(), Box<dyn std::error::Error>> {
        let reg = Generator::new(1).registry(100);
        let (rows, truth) = make_list(&reg, 40, 0.5, 1);
        let mut buf = Vec::new();
        write_registry(&mut buf, &reg)?;
        let mut rd = csv::Reader::from_reader(buf.as_slice());
        assert_eq!(rd.headers()?.len(), 13);
        let recs: Vec<csv::StringRecord> = rd.records().collect::<Result<_, _>>()?;
        assert_eq!(recs.len(), 100);
        assert_eq!(&recs[0][1], reg[0].full_name());

        let mut buf = Vec::new();
        write_list(&mut buf, &rows)?;
        let n = csv::Reader::from_reader(buf.as_slice()).records().count();
        assert_eq!(n, 40);

        let mut buf = Vec::new();
        write_truth(&mut buf, &truth)?;
        let mut rd = csv::Reader::from_reader(buf.as_slice());
        let recs: Vec<csv::StringRecord> = rd.records().collect::<Result<_, _>>()?;
        assert_eq!(recs.iter().filter(|r| !r[1].is_empty()).count(), 20);
        Ok(())
    }
}
