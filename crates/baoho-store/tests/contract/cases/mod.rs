//! Protection cases, one module per sub-area.

mod attachments;
mod consular_access;
mod intake;
mod list;
mod queue;
mod referrals;
mod transfers;
mod workflow;
