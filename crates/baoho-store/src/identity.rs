//! Who is asking, as the store's handles receive it. Only the session layer issues one:
//! [`crate::Accounts::identity`] builds it from a stored account. Its field is private and it
//! cannot be deserialised, so no request input and no other crate can make one; tests get
//! theirs from [`Identity::for_tests`] (the `testing` feature).

use baoho_domain::access::Principal;
use std::ops::Deref;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Identity(Principal);

impl Identity {
    /// The session layer's constructor (accounts).
    pub(crate) fn issue(who: Principal) -> Identity {
        Identity(who)
    }

    /// An identity made up by a test.
    #[cfg(any(test, feature = "testing"))]
    pub fn for_tests(who: Principal) -> Identity {
        Identity(who)
    }

    /// What the policy knows of the caller.
    pub fn principal(&self) -> &Principal {
        &self.0
    }
}

impl Deref for Identity {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}
