//! Opening the platform for a frontend: the one place that reads the environment
//! ([`env_vars`]), the user settings file ([`settings`]) and the credential store
//! ([`credentials`]), and turns them into a [`Platform`](crate::platform::Platform) ([`open`]).

pub mod credentials;
pub mod env_vars;
pub mod open;
pub mod settings;
