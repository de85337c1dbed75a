//! Load balancers: the virtual server a site declares, the seed's rules for it, and the
//! configuration text of the balancers that have no API (`legacy`).

pub mod haproxy;
pub mod legacy;
pub mod rules;
pub mod virtual_server;
