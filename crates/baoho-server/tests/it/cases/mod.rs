//! Protection cases over HTTP, one file per sub-area as in the server.

mod attachments;
mod consular_access;
mod exports;
mod intake;
mod list;
mod page;
mod queue;
mod referrals;
mod transfers;
mod workflow;
