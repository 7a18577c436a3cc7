//! The person registry: records, search, break-glass, restricted values; and the matcher
//! behind the intake duplicate warning.

mod dupes;
mod registry;
mod restrictions;
