//! Integration tests: the real server on 127.0.0.1:0 against a fresh database, over HTTP.
//! One test binary for the crate (link time). The layout mirrors the server's capabilities;
//! `support` holds the server spawn, the signed-in actors and the browser harness. Every test
//! ends with `TestApp::stop`, which runs the consistency check `TestApp::verify` first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod accounts;
mod api;
mod audit;
mod bad_input;
mod browser;
mod cases;
mod consent;
mod inbox;
mod login;
mod pages;
mod persons;
mod reference;
mod security;
mod support;
