//! `idp schema`: the JSON Schema of `.idp/config.yml`.

use crate::cli::Output;
use crate::exit::Code;
use crate::render;

pub(crate) fn run(_out: Output) -> idp_core::error::Result<Code> {
    // The schema is JSON in both output modes.
    render::json(&idp_core::domain::config::schema::json_schema());
    Ok(Code::Ok)
}
