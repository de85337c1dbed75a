//! Cisco IM and Presence: the SOAP services a peering resource talks to, pure.
//!
//! - `soap.rs`: envelopes, XML escaping, replies read by local name, the SOAP fault;
//! - `axl.rs`: AXL `executeSQLQuery` / `executeSQLUpdate` (imp-interface.md §5, [AXLDG]);
//! - `control_center.rs`: Serviceability ControlCenterServices (§4, [CCSWSDL]);
//! - `facts.rs`: the one table of what no public document gives (the peer table, its columns,
//!   the queries built on guesses), each marked with its source, overridable by the provider;
//! - `sql.rs`: every statement, built from values with Informix quoting.

pub mod axl;
pub mod control_center;
pub mod facts;
pub mod soap;
pub mod sql;
