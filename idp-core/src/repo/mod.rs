//! What a repository holds: the files `idp init` scaffolds ([`scaffold`]) and the catalog of
//! infrastructure templates read from their `template.json` manifests ([`templates`]).

pub mod scaffold;
pub mod templates;
