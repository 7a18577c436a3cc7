//! Partial dates: a date of birth is often known only to the year or the month.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A date known to the year, the month, or the day. Always a real calendar date where known.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub struct PartialDate {
    pub year: u16,
    pub month: Option<u8>,
    pub day: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("not a date: expected YYYY, YYYY-MM, YYYY-MM-DD or DD/MM/YYYY")]
    Format,
    #[error("year out of range (1850-2200)")]
    Year,
    #[error("no such month")]
    Month,
    #[error("no such day in that month")]
    Day,
}

pub fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

impl PartialDate {
    pub fn new(year: u16, month: Option<u8>, day: Option<u8>) -> Result<Self, DateError> {
        if !(1850..=2200).contains(&year) {
            return Err(DateError::Year);
        }
        match (month, day) {
            (None, Some(_)) => return Err(DateError::Format),
            (Some(m), _) if !(1..=12).contains(&m) => return Err(DateError::Month),
            (Some(m), Some(d)) if d == 0 || d > days_in_month(year, m) => {
                return Err(DateError::Day);
            }
            _ => {}
        }
        Ok(Self { year, month, day })
    }

    /// Parse the forms officers type: `1990`, `1990-05`, `1990-05-12`, `12/05/1990`, `05/1990`.
    pub fn parse(s: &str) -> Result<Self, DateError> {
        let s = s.trim();
        let num = |p: &str| -> Result<u16, DateError> {
            if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DateError::Format);
            }
            p.parse().map_err(|_| DateError::Format)
        };
        let small = |p: &str| -> Result<u8, DateError> {
            let v = num(p)?;
            u8::try_from(v).map_err(|_| DateError::Format)
        };
        if s.contains('/') || s.contains('.') {
            let parts: Vec<&str> = s.split(['/', '.']).collect();
            return match parts.as_slice() {
                [d, m, y] if y.len() == 4 => Self::new(num(y)?, Some(small(m)?), Some(small(d)?)),
                [m, y] if y.len() == 4 => Self::new(num(y)?, Some(small(m)?), None),
                _ => Err(DateError::Format),
            };
        }
        let parts: Vec<&str> = s.split('-').collect();
        match parts.as_slice() {
            [y] if y.len() == 4 => Self::new(num(y)?, None, None),
            [y, m] if y.len() == 4 => Self::new(num(y)?, Some(small(m)?), None),
            [y, m, d] if y.len() == 4 => Self::new(num(y)?, Some(small(m)?), Some(small(d)?)),
            _ => Err(DateError::Format),
        }
    }
}

impl fmt::Display for PartialDate {
    /// ISO-like: `1990`, `1990-05`, `1990-05-12`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
            if let Some(d) = self.day {
                write!(f, "-{d:02}")?;
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for PartialDate {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_usual_forms() {
        assert_eq!(
            PartialDate::parse("1990").map(|d| d.to_string()),
            Ok("1990".into())
        );
        assert_eq!(
            PartialDate::parse("1990-5").map(|d| d.to_string()),
            Ok("1990-05".into())
        );
        assert_eq!(
            PartialDate::parse("12/05/1990").map(|d| d.to_string()),
            Ok("1990-05-12".into())
        );
        assert_eq!(
            PartialDate::parse("05/1990").map(|d| d.to_string()),
            Ok("1990-05".into())
        );
    }

    #[test]
    fn rejects_impossible_dates() {
        assert_eq!(PartialDate::parse("1990-02-30"), Err(DateError::Day));
        assert_eq!(PartialDate::parse("1990-13"), Err(DateError::Month));
        assert_eq!(PartialDate::parse("90"), Err(DateError::Format));
        assert_eq!(PartialDate::parse("1700"), Err(DateError::Year));
        assert_eq!(
            PartialDate::parse("2000-02-29").map(|d| d.day),
            Ok(Some(29))
        );
        assert_eq!(PartialDate::parse("1900-02-29"), Err(DateError::Day));
    }

    proptest! {
        #[test]
        fn display_round_trips(y in 1850u16..2200, m in 1u8..=12, d in 1u8..=28, depth in 0..3) {
            let pd = match depth {
                0 => PartialDate::new(y, None, None),
                1 => PartialDate::new(y, Some(m), None),
                _ => PartialDate::new(y, Some(m), Some(d)),
            };
            let pd = pd.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(PartialDate::parse(&pd.to_string()), Ok(pd));
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = PartialDate::parse(&s);
        }
    }
}
