//! Audit: matches the inventory's components against an offline OSV advisory database,
//! version policies, end-of-life dates and patch deadlines.
//!
//! [`version`] owns each ecosystem's version ordering; it reads no files and knows nothing of
//! advisories or policies.

pub mod osv;
pub mod patch;
pub mod policy;
pub mod scan;
pub mod version;
