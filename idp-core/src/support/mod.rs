//! What the use cases share: compare-and-swap reads and writes of an environment's state
//! objects ([`state`]), leases with expiry and renewal ([`lease`]), the environment index
//! ([`index`]), the report every mutating use case returns ([`report`]), telling the pull
//! request (comments and commit statuses, [`notify`]), the shared load balancer's rule
//! priorities ([`ingress`]) and applying an environment through the
//! provisioner (`deploy`).

pub mod bundle;
pub(crate) mod deploy;
pub mod index;
pub mod ingress;
pub mod lease;
pub mod notify;
pub mod report;
pub(crate) mod spend;
pub mod state;
