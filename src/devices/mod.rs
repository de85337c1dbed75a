//! Per vendor: the exact commands for an intent, and typed values parsed from device output.
//! Pure: no I/O here. Every parser is tested on captured output, including error output.

pub mod cgp;
pub mod cms;
pub mod imp;
pub mod key_pair;
pub mod lb;
pub mod marked;
pub mod pem;
pub mod shell;
pub mod ucos;
pub mod xop;
