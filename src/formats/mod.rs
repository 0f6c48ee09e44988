//! One module per input format. Parsers read text into a [`crate::manifest::Parsed`];
//! they never judge, and they never abort: what they cannot read becomes a `Problem`.

pub mod requirements;
