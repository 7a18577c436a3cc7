//! The one sequence every gated operation starts with: begin a write transaction, run the
//! handle's policy check in it, and on a refusal commit the transaction (it holds the `denied`
//! audit row the check wrote) before answering the refusal. The handles' `begin_gated` methods
//! ([`crate::Cases`], [`crate::Persons`]) are built on [`settle`]; no operation writes the
//! sequence itself.

use crate::Result;
use crate::db::{Commit, Db, Dialect};
use baoho_domain::access::Verb;

/// Keep the transaction for the work when the check allowed it; otherwise commit what the
/// check wrote (its audit row) and pass its error on.
pub(crate) async fn settle<T: Commit, S>(tx: T, db: &Db, checked: Result<S>) -> Result<(T, S)> {
    match checked {
        Ok(s) => Ok((tx, s)),
        Err(e) => {
            tx.commit_in(db).await?;
            Err(e)
        }
    }
}

/// The row lock a gated transaction takes on its object: an edit decides on what it read
/// (version, status, restrictions), so it holds the row until it commits; a read takes none.
pub(crate) fn lock_for<P: Dialect>(pool: &P, verb: Verb) -> &'static str {
    match verb {
        Verb::Edit => pool.for_update(),
        Verb::Read | Verb::Create | Verb::Search | Verb::Export => "",
    }
}
