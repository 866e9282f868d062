//! Audit: matches the inventory's components against advisories and version policies.
//!
//! [`version`] owns each ecosystem's version ordering; it reads no files and knows nothing of
//! advisories or policies.

pub mod version;
