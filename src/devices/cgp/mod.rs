//! CommuniGate Pro: the CLI's text data format (`data` reads it, `encode` writes it on one
//! line, `edit` changes a settings dictionary byte for byte), the CLI session as a line
//! protocol with its command lines (`cli`), and the one table of command names and keys with
//! their sources and status (`keys`).
//! Facts and sources: shared/reference/cgp-interface.md (S1..S16), cited at each rule.

pub mod cli;
pub mod data;
pub mod edit;
pub mod encode;
pub mod keys;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;
