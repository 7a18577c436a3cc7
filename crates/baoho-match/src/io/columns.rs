//! Which [`crate::Record`] field a column feeds: the common English and Vietnamese headers,
//! and the explicit mapping strings (see the module documentation of [`crate::io`]).

use super::IoError;
use baoho_domain::text::fold;
use std::fmt;

/// A [`Record`] field a column can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Id,
    Name,
    FamilyName,
    /// Merged into `given_name`, before the given name (Record has no middle-name field).
    MiddleName,
    GivenName,
    Dob,
    Sex,
    Hometown,
    Passport,
    NationalId,
    Address,
    Locality,
    Postcode,
    Phone,
}

impl Field {
    pub const ALL: [Field; 14] = [
        Field::Id,
        Field::Name,
        Field::FamilyName,
        Field::MiddleName,
        Field::GivenName,
        Field::Dob,
        Field::Sex,
        Field::Hometown,
        Field::Passport,
        Field::NationalId,
        Field::Address,
        Field::Locality,
        Field::Postcode,
        Field::Phone,
    ];

    /// The name used in mapping strings and reports.
    pub fn key(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Name => "name",
            Field::FamilyName => "family",
            Field::MiddleName => "middle",
            Field::GivenName => "given",
            Field::Dob => "dob",
            Field::Sex => "sex",
            Field::Hometown => "hometown",
            Field::Passport => "passport",
            Field::NationalId => "national_id",
            Field::Address => "address",
            Field::Locality => "locality",
            Field::Postcode => "postcode",
            Field::Phone => "phone",
        }
    }

    /// Parse a mapping key (`name`, `full_name`, `surname`, `nid`, …).
    pub fn from_key(k: &str) -> Option<Field> {
        let k = squash(k);
        Some(match k.as_str() {
            "id" | "rowid" | "listid" | "registryid" => Field::Id,
            "name" | "fullname" => Field::Name,
            "family" | "familyname" | "surname" | "lastname" => Field::FamilyName,
            "middle" | "middlename" | "middlenames" => Field::MiddleName,
            "given" | "givenname" | "givennames" | "firstname" => Field::GivenName,
            "dob" | "dateofbirth" | "birthdate" => Field::Dob,
            "sex" | "gender" => Field::Sex,
            "hometown" | "province" => Field::Hometown,
            "passport" | "passportno" | "passportnumber" => Field::Passport,
            "nationalid" | "nid" | "cccd" | "citizenid" => Field::NationalId,
            "address" => Field::Address,
            "locality" | "suburb" | "city" | "town" => Field::Locality,
            "postcode" | "zip" => Field::Postcode,
            "phone" => Field::Phone,
            _ => return None,
        })
    }
}

/// Header key: folded, letters and digits only (`Họ và tên` → `hovaten`, `DATE_OF_BIRTH` →
/// `dateofbirth`).
pub(super) fn squash(s: &str) -> String {
    fold(s)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// The field a header names, from the common English and Vietnamese headers.
pub fn field_for_header(header: &str) -> Option<Field> {
    let k = squash(header);
    let exact = match k.as_str() {
        "id" | "listid" | "registryid" | "recid" | "recordid" | "rowid" | "stt" | "tt" | "no"
        | "ref" | "reference" | "refno" | "caseid" | "caseno" | "mahoso" | "sohoso" | "ma"
        | "personid" | "serial" | "serialno" | "sn" => Field::Id,
        "fullname" | "name" | "hovaten" | "hoten" | "hotendaydu" | "tendaydu" | "nameinfull"
        | "completename" | "personname" | "names" | "hovatenkhaisinh" | "hotenkhaisinh"
        | "tencongdan" => Field::Name,
        "surname" | "familyname" | "lastname" | "ho" | "family" | "surnames" | "hodem"
        | "hovatendem" | "lastnames" => Field::FamilyName,
        "middlename" | "middlenames" | "tendem" | "dem" => Field::MiddleName,
        "givenname" | "givennames" | "firstname" | "firstnames" | "forename" | "forenames"
        | "ten" | "tengoi" | "given" => Field::GivenName,
        "dob"
        | "dateofbirth"
        | "birthdate"
        | "birthday"
        | "ngaysinh"
        | "ngaythangnamsinh"
        | "namsinh"
        | "sinhngay"
        | "bdate"
        | "born"
        | "dateofbirthddmmyyyy"
        | "ngaysinhddmmyyyy"
        | "birth"
        | "ngaythangsinh" => Field::Dob,
        "sex" | "gender" | "gioitinh" | "gt" | "phai" | "gioi" => Field::Sex,
        "hometown"
        | "quequan"
        | "province"
        | "tinh"
        | "nguyenquan"
        | "placeoforigin"
        | "origin"
        | "homeprovince"
        | "provinceoforigin"
        | "noisinh"
        | "placeofbirth"
        | "birthplace"
        | "tinhthanh"
        | "tinhthanhpho"
        | "que"
        | "homeaddressprovince" => Field::Hometown,
        "passport"
        | "passportno"
        | "passportnumber"
        | "hochieu"
        | "sohochieu"
        | "passportnum"
        | "ppno"
        | "traveldocument"
        | "traveldocumentno"
        | "traveldocumentnumber"
        | "sohc"
        | "hc"
        | "passportid" => Field::Passport,
        "nationalid"
        | "nationalidnumber"
        | "nationalidno"
        | "cccd"
        | "cmnd"
        | "socccd"
        | "socmnd"
        | "citizenid"
        | "citizenidnumber"
        | "idnumber"
        | "idno"
        | "idcard"
        | "idcardno"
        | "idcardnumber"
        | "cancuoc"
        | "cancuoccongdan"
        | "socancuoc"
        | "cmndcccd"
        | "cccdcmnd"
        | "sodinhdanh"
        | "sodinhdanhcanhan"
        | "personalid"
        | "nid"
        | "socsecid"
        | "ssn"
        | "socialsecuritynumber" => Field::NationalId,
        "address" | "diachi" | "address1" | "street" | "streetaddress" | "noio" | "noiohientai"
        | "thuongtru" | "diachithuongtru" | "noithuongtru" | "residence" | "homeaddress"
        | "addressline1" => Field::Address,
        "suburb" | "city" | "town" | "locality" | "district" | "quanhuyen" | "huyen" | "xa"
        | "phuongxa" | "xaphuong" => Field::Locality,
        "postcode" | "postalcode" | "zip" | "zipcode" => Field::Postcode,
        "phone" | "phonenumber" | "tel" | "telephone" | "mobile" | "sodienthoai" | "dienthoai"
        | "sdt" | "mobilephone" | "contactnumber" => Field::Phone,
        _ => {
            // Headers with a hint in brackets: "Date of birth (dd/mm/yyyy)", "Ngày sinh (*)".
            for (prefix, f) in [
                ("dateofbirth", Field::Dob),
                ("ngaysinh", Field::Dob),
                ("passportn", Field::Passport),
                ("sohochieu", Field::Passport),
                ("hovaten", Field::Name),
                ("fullname", Field::Name),
                ("quequan", Field::Hometown),
                ("nationalid", Field::NationalId),
                ("socccd", Field::NationalId),
                ("socmnd", Field::NationalId),
            ] {
                if k.starts_with(prefix) {
                    return Some(f);
                }
            }
            return None;
        }
    };
    Some(exact)
}

/// Where a field's value comes from: one or more columns joined with a space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnRef {
    Header(String),
    /// 0-based.
    Index(usize),
}

impl fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnRef::Header(h) => f.write_str(h),
            ColumnRef::Index(i) => write!(f, "#{}", i + 1),
        }
    }
}

/// Which side an explicit mapping is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapSide {
    List,
    Registry,
}

/// An explicit column mapping (`--map`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ColumnMap {
    pub fields: Vec<(Field, Vec<ColumnRef>)>,
}

impl ColumnMap {
    /// Parse `[list:|registry:]field=column,…` (see the module documentation).
    pub fn parse(s: &str) -> Result<(Option<MapSide>, ColumnMap), IoError> {
        let s = s.trim();
        let (side, body) = match s.split_once(':') {
            Some((p, rest)) if !p.contains('=') => {
                let side = match squash(p).as_str() {
                    "list" | "l" => MapSide::List,
                    "registry" | "reg" | "r" => MapSide::Registry,
                    _ => {
                        return Err(IoError::Mapping(format!(
                            "unknown side {p:?} (use list: or registry:)"
                        )));
                    }
                };
                (Some(side), rest)
            }
            _ => (None, s),
        };
        let mut map = ColumnMap::default();
        for part in body.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((k, v)) = part.split_once('=') else {
                return Err(IoError::Mapping(format!("{part:?} is not field=column")));
            };
            let field = Field::from_key(k.trim()).ok_or_else(|| {
                let known: Vec<&str> = Field::ALL.iter().map(|f| f.key()).collect();
                IoError::Mapping(format!("unknown field {k:?}; fields: {}", known.join(", ")))
            })?;
            if map.fields.iter().any(|(f, _)| *f == field) {
                return Err(IoError::Mapping(format!(
                    "field {} mapped twice",
                    field.key()
                )));
            }
            let mut cols = Vec::new();
            for c in v.split('+').map(str::trim) {
                if c.is_empty() {
                    return Err(IoError::Mapping(format!(
                        "empty column for {}",
                        field.key()
                    )));
                }
                let col = match c.strip_prefix('#').map(str::parse::<usize>) {
                    Some(Ok(n)) if n >= 1 => ColumnRef::Index(n - 1),
                    Some(_) => {
                        return Err(IoError::Mapping(format!(
                            "bad column number {c:?} (from #1)"
                        )));
                    }
                    None => ColumnRef::Header(c.to_owned()),
                };
                cols.push(col);
            }
            map.fields.push((field, cols));
        }
        if map.fields.is_empty() {
            return Err(IoError::Mapping("empty mapping".into()));
        }
        Ok((side, map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::read_csv_bytes;

    #[test]
    fn mapping_strings() {
        let (side, m) =
            ColumnMap::parse("list:id=list_id,name=full_name,dob=#3").unwrap_or_default();
        assert_eq!(side, Some(MapSide::List));
        assert_eq!(
            m.fields[0],
            (Field::Id, vec![ColumnRef::Header("list_id".into())])
        );
        assert_eq!(m.fields[2], (Field::Dob, vec![ColumnRef::Index(2)]));
        let (side, _) = ColumnMap::parse("registry:name=Họ tên").unwrap_or_default();
        assert_eq!(side, Some(MapSide::Registry));
        assert!(ColumnMap::parse("list:nonsense=x").is_err());
        assert!(ColumnMap::parse("moon:name=x").is_err());
        assert!(ColumnMap::parse("name").is_err());
        assert!(ColumnMap::parse("name=a,name=b").is_err());
        assert!(ColumnMap::parse("dob=#0").is_err());

        // A missing mapped column is a clear error.
        let (_, m) = ColumnMap::parse("name=nom").unwrap_or_default();
        let e = read_csv_bytes(b"name,dob\nA,1990\n", Some(&m));
        assert!(matches!(
            e,
            Err(IoError::Mapping(_)) | Err(IoError::NoHeader)
        ));
    }
}
