//! CommuniGate Pro: the CLI's text data format (`data` reads it, `encode` writes it on one
//! line, `edit` changes a settings dictionary byte for byte), the CLI session as a line
//! protocol with its command lines (`cli`), the one table of command names and keys with their
//! sources and status (`keys`), and the SIP farm's model, rules, wanted settings and order of
//! changes (`farm`).
//! Facts and sources: shared/reference/cgp-interface.md (S1..S16), cited at each rule.

pub mod cli;
pub mod data;
pub mod edit;
pub mod encode;
pub mod farm;
pub mod keys;

#[cfg(test)]
mod farm_tests;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;
