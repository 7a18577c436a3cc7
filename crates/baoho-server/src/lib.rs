//! Baoho's web server: configuration, HTTP layers, pages and the JSON API.
//!
//! One module per capability (later: persons, cases, …), each with its service, its API and
//! its pages. Everything a request passes through is assembled in [`app`].

pub mod accounts;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cases;
pub mod config;
pub mod dupes;
pub mod error;
pub mod extract;
#[doc(hidden)]
pub mod fuzz;
pub mod i18n;
pub mod inbox;
mod layers;
pub mod login;
pub mod persons;
pub mod reference;
pub mod routes;
pub mod telemetry;
mod web;
pub mod xlsx;

pub use app::caller;
pub use app::{AppState, launch, router};
pub use config::Config;
pub use error::AppError;
