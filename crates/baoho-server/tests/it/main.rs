//! Integration tests: the real server on 127.0.0.1:0 against a fresh database, over HTTP.
//! One test binary for the crate (link time); modules read as the stories they check.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod api;
mod bad_input;
mod browser;
mod cases;
mod dupes;
mod exports;
mod helpers;
mod pages;
mod persons;
