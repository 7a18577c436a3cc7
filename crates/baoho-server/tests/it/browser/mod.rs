//! Browser journeys in headless Chromium (the harness is `support::browser`): one file per
//! capability the journey goes through.

mod cases;
mod pages;
mod persons;
mod phone;
