//! The FEBRL benchmark's CSV layout (`rec_id, given_name, surname, street_number, address_1,
//! address_2, suburb, postcode, state, date_of_birth, soc_sec_id`), read into records: the
//! example that prints the benchmark's figures and the test that holds them share it.

use crate::Record;

/// The records of a FEBRL CSV file (FEBRL3 or one side of FEBRL4).
pub fn read_febrl(path: &std::path::Path) -> Result<Vec<Record>, ::csv::Error> {
    let mut rdr = ::csv::Reader::from_path(path)?;
    let mut out = Vec::new();
    for row in rdr.records() {
        let row = row?;
        let f = |i: usize| row.get(i).unwrap_or("").trim().to_owned();
        let some = |s: String| if s.is_empty() { None } else { Some(s) };
        out.push(Record {
            id: f(0),
            name: format!("{} {}", f(1), f(2)).trim().to_owned(),
            given_name: some(f(1)),
            family_name: some(f(2)),
            address: some(format!("{} {}", f(3), f(4)).trim().to_owned()),
            locality: some(f(6)),
            postcode: some(f(7)),
            hometown: some(f(8)),
            dob: some(f(9)),
            national_id: some(f(10)),
            ..Record::default()
        });
    }
    Ok(out)
}
