//! tfvars
