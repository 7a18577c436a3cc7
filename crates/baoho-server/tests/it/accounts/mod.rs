//! Account administration and the sensitive actions (issue #14, defect 5): four eyes on
//! accounts that read files, and a recent sign-in for export, break-glass, consent override
//! and account administration.

mod four_eyes;
mod reauth;
