//! The transport kit against local servers on 127.0.0.1: the trust policy, the HTTPS client and
//! the line-protocol transport, with lab certificates made by rcgen. No wall-clock thresholds:
//! servers count connections and requests, and idle time is advanced on tokio's paused clock.

mod support;

mod https;
mod line;
mod tls;
