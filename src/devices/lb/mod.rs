//! Load balancers: the virtual server a site declares, the seed's rules for it, the codecs of
//! the balancers with an API (`f5` iControl REST, `haproxy` configuration section, runtime API
//! and master CLI, `ipvs` ipvsadm, `keepalived` configuration section) and the configuration text of the balancers that have none
//! (`legacy`).

pub mod f5;
pub mod haproxy;
pub mod ipvs;
pub mod keepalived;
pub mod legacy;
pub mod rules;
pub mod virtual_server;
