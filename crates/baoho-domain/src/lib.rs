//! Baoho's domain: types and rules with no I/O.
//!
//! Depends on nothing of ours. Text folding for Vietnamese lives in [`text`];
//! partial dates in [`date`]; reference data (countries, missions, provinces) in [`refdata`].

pub mod access;
pub mod case;
pub mod date;
#[doc(hidden)]
pub mod fuzz;
pub mod person;
pub mod refdata;
pub mod text;
