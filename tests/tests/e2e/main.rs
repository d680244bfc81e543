//! The end-to-end test binary: real processes on private loopback addresses, real clients.
//! One module per behaviour; each test starts its own servers and kills them when it ends.

mod access_control;
mod aggressive_nsec;
mod authority_edns;
mod cache_and_local_rules;
mod control;
mod dnssec;
mod dnssec_options;
mod dnssec_sections;
mod ds_parent_side;
mod fleet;
mod ghost_domains;
mod harness;
mod hostile;
mod lab;
mod listener;
mod local_zones;
mod outages;
mod request_limits;
mod resolver_features;
mod resolver_hostile;
mod resolver_soak;
mod response_policy;
mod secondary;
mod secondary_signed;
mod snooping;
mod spoofing;
mod startup_errors;
mod stub_forward_zones;
mod tcp_keepalive;
mod transfers;
mod upstream_behaviours;
mod upstream_options;
mod workers;
mod workspace;
