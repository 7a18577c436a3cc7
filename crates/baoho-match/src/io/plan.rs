//! From a header row to records: which row is the header, which columns feed which field,
//! and one data row turned into a [`Record`] or a bad row.

use super::columns::squash;
use super::{BadRow, ColumnMap, ColumnRef, Field, IoError, ReadResult, field_for_header};
use crate::Record;

/// A row is the header when, without a mapping, at least two cells name known fields
/// including a name field; with a mapping, when every mapped header is present.
pub(super) fn is_header(cells: &[String], map: Option<&ColumnMap>) -> bool {
    match map {
        Some(m) => {
            let keys: Vec<String> = cells.iter().map(|c| squash(c)).collect();
            let mut any_header = false;
            for (_, cols) in &m.fields {
                for c in cols {
                    if let ColumnRef::Header(h) = c {
                        any_header = true;
                        if !keys.contains(&squash(h)) && !cells.contains(h) {
                            return false;
                        }
                    }
                }
            }
            any_header
        }
        None => {
            let fields: Vec<Field> = cells.iter().filter_map(|c| field_for_header(c)).collect();
            fields.len() >= 2
                && fields
                    .iter()
                    .any(|f| matches!(f, Field::Name | Field::FamilyName | Field::GivenName))
        }
    }
}

/// Column indices feeding each field.
pub(super) struct Plan {
    fields: Vec<(Field, Vec<usize>)>,
    width: usize,
}

impl Plan {
    pub(super) fn new(
        header: &[String],
        map: Option<&ColumnMap>,
        skip: &[Field],
    ) -> Result<Plan, IoError> {
        let mut fields: Vec<(Field, Vec<usize>)> = Vec::new();
        match map {
            Some(m) => {
                for (f, cols) in &m.fields {
                    let mut idx = Vec::new();
                    for c in cols {
                        let i = match c {
                            ColumnRef::Index(i) if *i < header.len() => *i,
                            ColumnRef::Index(i) => {
                                return Err(IoError::Mapping(format!(
                                    "column #{} for {} but the file has {} columns",
                                    i + 1,
                                    f.key(),
                                    header.len()
                                )));
                            }
                            ColumnRef::Header(h) => header
                                .iter()
                                .position(|x| x == h)
                                .or_else(|| header.iter().position(|x| squash(x) == squash(h)))
                                .ok_or_else(|| {
                                    IoError::Mapping(format!(
                                        "no column {h:?} for {}; headers: {}",
                                        f.key(),
                                        header.join(", ")
                                    ))
                                })?,
                        };
                        idx.push(i);
                    }
                    fields.push((*f, idx));
                }
            }
            None => {
                for (i, h) in header.iter().enumerate() {
                    if let Some(f) = field_for_header(h) {
                        // The first column naming a field wins, except that address columns
                        // (`address_1`, `address_2`) are joined.
                        match fields.iter_mut().find(|(g, _)| *g == f) {
                            None => fields.push((f, vec![i])),
                            Some((Field::Address, v)) => v.push(i),
                            Some(_) => {}
                        }
                    } else if squash(h) == "address2" || squash(h) == "addressline2" {
                        match fields.iter_mut().find(|(g, _)| *g == Field::Address) {
                            None => fields.push((Field::Address, vec![i])),
                            Some((_, v)) => v.push(i),
                        }
                    }
                }
            }
        }
        if !fields
            .iter()
            .any(|(f, _)| matches!(f, Field::Name | Field::FamilyName | Field::GivenName))
        {
            return Err(IoError::NoNameColumn(header.join(", ")));
        }
        fields.retain(|(f, _)| {
            matches!(
                f,
                Field::Id | Field::Name | Field::FamilyName | Field::MiddleName | Field::GivenName
            ) || !skip.contains(f)
        });
        fields.sort_by_key(|(f, _)| *f);
        Ok(Plan {
            fields,
            width: header.len(),
        })
    }

    pub(super) fn describe(&self, header: &[String]) -> Vec<(Field, Vec<String>)> {
        self.fields
            .iter()
            .map(|(f, idx)| {
                (
                    *f,
                    idx.iter()
                        .map(|i| {
                            header
                                .get(*i)
                                .cloned()
                                .unwrap_or_else(|| format!("#{}", i + 1))
                        })
                        .collect(),
                )
            })
            .collect()
    }

    pub(super) fn unmapped(&self, header: &[String]) -> Vec<String> {
        header
            .iter()
            .enumerate()
            .filter(|(i, h)| !h.is_empty() && !self.fields.iter().any(|(_, v)| v.contains(i)))
            .map(|(_, h)| h.clone())
            .collect()
    }

    /// Turn one data row into a record, or a bad row.
    pub(super) fn push_row<S: AsRef<str>>(&self, line: u64, cells: &[S], out: &mut ReadResult) {
        if cells.iter().all(|c| c.as_ref().is_empty()) {
            return; // blank or trailing rows
        }
        if cells.len() != self.width {
            // Spreadsheets pad rows; CSV exports sometimes drop trailing empty cells, which is
            // harmless only when the missing cells are empty: still report it, as asked of us.
            out.bad_rows.push(BadRow {
                line,
                message: format!("expected {} fields, found {}", self.width, cells.len()),
            });
            return;
        }
        let get = |f: Field| -> Option<String> {
            let idx = &self.fields.iter().find(|(g, _)| *g == f)?.1;
            if let [i] = idx.as_slice() {
                // One column (the usual case): one allocation, no joining.
                let c = cells.get(*i).map(AsRef::as_ref).unwrap_or("");
                return (!c.is_empty()).then(|| c.to_owned());
            }
            let parts: Vec<&str> = idx
                .iter()
                .filter_map(|i| cells.get(*i))
                .map(AsRef::as_ref)
                .filter(|s| !s.is_empty())
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        };
        let given = match (get(Field::MiddleName), get(Field::GivenName)) {
            (Some(m), Some(g)) => Some(format!("{m} {g}")),
            (m, g) => g.or(m),
        };
        let family = get(Field::FamilyName);
        let name = get(Field::Name).or_else(|| match (&family, &given) {
            (Some(f), Some(g)) => Some(format!("{f} {g}")),
            (f, g) => f.clone().or_else(|| g.clone()),
        });
        let Some(name) = name else {
            out.bad_rows.push(BadRow {
                line,
                message: "no name".into(),
            });
            return;
        };
        let record = Record {
            id: get(Field::Id).unwrap_or_else(|| line.to_string()),
            name,
            given_name: given,
            family_name: family,
            dob: get(Field::Dob),
            sex: get(Field::Sex),
            hometown: get(Field::Hometown),
            passport: get(Field::Passport),
            national_id: get(Field::NationalId),
            address: get(Field::Address),
            locality: get(Field::Locality),
            postcode: get(Field::Postcode),
            phone: get(Field::Phone),
        };
        out.records.push(record);
        out.lines.push(line);
    }

    pub(super) fn field_of(&self, col: usize) -> Option<Field> {
        self.fields
            .iter()
            .find(|(_, v)| v.contains(&col))
            .map(|(f, _)| *f)
    }
}

#[cfg(test)]
mod tests {
    use crate::io::{ColumnMap, read, read_csv_bytes};

    #[test]
    fn english_headers_map_automatically() {
        let csv = "ID,Full Name,Date of Birth,Gender,Province,Passport No.,National ID,Phone\n\
                   A1,NGUYEN VAN AN,12/05/1990,M,Nghe An,C1234567,040090001234,+84912345678\n\
                   A2,TRAN THI BINH,1988,F,,,,\n";
        let r = read(csv.as_bytes());
        assert!(r.bad_rows.is_empty(), "{:?}", r.bad_rows);
        assert_eq!(r.records.len(), 2);
        let a = &r.records[0];
        assert_eq!(a.id, "A1");
        assert_eq!(a.name, "NGUYEN VAN AN");
        assert_eq!(a.dob.as_deref(), Some("12/05/1990"));
        assert_eq!(a.sex.as_deref(), Some("M"));
        assert_eq!(a.hometown.as_deref(), Some("Nghe An"));
        assert_eq!(a.passport.as_deref(), Some("C1234567"));
        assert_eq!(a.national_id.as_deref(), Some("040090001234"));
        assert_eq!(a.phone.as_deref(), Some("+84912345678"));
        assert_eq!(r.records[1].hometown, None);
        assert_eq!(r.format, "UTF-8");
    }

    #[test]
    fn split_names_and_febrl_columns() {
        let csv = "rec_id,given_name,surname,street_number,address_1,address_2,suburb,postcode,state,date_of_birth,soc_sec_id\n\
                   rec-1-org,michaela,neumann,8,stanley street,miami,winston hills,4223,nsw,19151111,5304218\n";
        let r = read(csv.as_bytes());
        assert_eq!(r.records.len(), 1);
        let a = &r.records[0];
        assert_eq!(a.id, "rec-1-org");
        assert_eq!(a.name, "neumann michaela");
        assert_eq!(a.family_name.as_deref(), Some("neumann"));
        assert_eq!(a.given_name.as_deref(), Some("michaela"));
        assert_eq!(a.national_id.as_deref(), Some("5304218"));
        assert_eq!(a.dob.as_deref(), Some("19151111"));
        assert_eq!(a.locality.as_deref(), Some("winston hills"));
        assert_eq!(a.postcode.as_deref(), Some("4223"));
        assert_eq!(a.address.as_deref(), Some("stanley street miami"));

        // The same file with the explicit FEBRL mapping.
        let (side, map) = ColumnMap::parse(
            "id=rec_id,given=given_name,family=surname,dob=date_of_birth,national_id=soc_sec_id,\
             address=street_number+address_1,locality=suburb,postcode=postcode",
        )
        .unwrap_or_default();
        assert_eq!(side, None);
        let r = read_csv_bytes(csv.as_bytes(), Some(&map)).unwrap_or_default();
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.records[0].address.as_deref(), Some("8 stanley street"));
        assert_eq!(r.records[0].national_id.as_deref(), Some("5304218"));
    }

    #[test]
    fn explicit_mapping_reads_only_mapped_fields() {
        let (_, m) = ColumnMap::parse("id=a,name=b").unwrap_or_default();
        let r = read_csv_bytes(b"a,b,dob\nX1,NGUYEN AN,1990\n", Some(&m)).unwrap_or_default();
        assert_eq!(r.records[0].id, "X1");
        assert_eq!(r.records[0].dob, None);
        assert_eq!(r.unmapped, ["dob"]);
    }
}
