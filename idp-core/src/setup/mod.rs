//! Opening the platform for a frontend: the one place that reads the environment
//! ([`env_vars`]), the user settings file ([`settings`]), the credential store
//! ([`credentials`]) and a repository's `.idp/config.yml` ([`config_file`]), and turns them into
//! a [`Platform`](crate::platform::Platform) ([`open`]).

pub mod config_file;
pub mod credentials;
pub mod env_vars;
pub mod open;
pub mod settings;
